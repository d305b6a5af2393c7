using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Turns the checks' findings into one list of defects: each missing value, type mismatch, outlier and policy
/// violation is a defect of its kind at its cell, and a cell is reported once per kind, with every policy rule that
/// flags it (the profiler's missing email and a "present" rule's violation are one <c>missing_value</c> defect citing
/// the rule). Policy kinds: <c>present</c> is <c>missing_value</c>, <c>unique</c> is <c>duplicate_value</c>,
/// <c>positive</c> is <c>not_positive</c>. Ordered by row, then column (table order), then kind.
/// </summary>
public sealed class FindingsConsolidator : IRealmService
{
    /// <summary>Consolidates the findings of a table's checks.</summary>
    /// <param name="profile">The profile (missing values, mismatches).</param>
    /// <param name="outliers">The outliers.</param>
    /// <param name="rules">The policy rules checked.</param>
    /// <param name="violations">Their violations.</param>
    /// <returns>The assessment.</returns>
    public QualityAssessment Consolidate(TableProfile profile, OutlierReport outliers, IReadOnlyList<PolicyRule> rules, IReadOnlyList<PolicyViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(outliers);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(violations);
        var file = profile.File;
        var defects = new Dictionary<string, Defect>(StringComparer.Ordinal);
        void Add(string kind, int row, string column, string value, string description, int? rule = null)
        {
            var defect = new Defect(kind, file, row, column, value, description, rule is { } r ? [r] : []);
            defects[defect.Key] = defects.TryGetValue(defect.Key, out var known)
                ? known with { Rules = [.. known.Rules.Concat(defect.Rules).Distinct().Order()] }
                : defect;
        }

        foreach (var column in profile.Columns)
        {
            foreach (var row in column.MissingRows)
            {
                Add("missing_value", row, column.Name, "", $"Row {row} has no value in column {column.Name}.");
            }

            foreach (var mismatch in column.Mismatches)
            {
                Add("type_mismatch", mismatch.Row, column.Name, mismatch.Value, $"Row {mismatch.Row} has \"{mismatch.Value}\" in column {column.Name}, whose values are of type {mismatch.Expected}.");
            }
        }

        foreach (var outlier in outliers.Outliers)
        {
            Add("outlier", outlier.Row, outlier.Column, outlier.Value,
                $"Row {outlier.Row} has {outlier.Value} in column {outlier.Column}, outside the IQR fences {Values.Format(outlier.Lower)} to {Values.Format(outlier.Upper)}.");
        }

        foreach (var violation in violations)
        {
            switch (rules.First(r => r.Number == violation.Rule).Requirement)
            {
                case "present":
                    Add("missing_value", violation.Row, violation.Column, "", $"Row {violation.Row} has no value in column {violation.Column}.", violation.Rule);
                    break;
                case "unique":
                    Add("duplicate_value", violation.Row, violation.Column, violation.Value, $"Row {violation.Row} repeats {violation.Column} {violation.Value} of row {violation.FirstRow}.", violation.Rule);
                    break;
                case "positive":
                    Add("not_positive", violation.Row, violation.Column, violation.Value, $"Row {violation.Row} has {violation.Column} {violation.Value}, which is not positive.", violation.Rule);
                    break;
            }
        }

        var order = profile.Columns.Select((c, i) => (c.Name, i)).ToDictionary(c => c.Name, c => c.i, StringComparer.Ordinal);
        return new QualityAssessment(file, profile.Rows, profile, outliers, rules,
            [.. defects.Values.OrderBy(d => d.Row).ThenBy(d => order.GetValueOrDefault(d.Column)).ThenBy(d => d.Kind, StringComparer.Ordinal)]);
    }
}
