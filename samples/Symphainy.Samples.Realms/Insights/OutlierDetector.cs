using Symphainy.Realms;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Finds numeric outliers with the interquartile range (Tukey's fences): in each column inferred <c>integer</c> or
/// <c>number</c> that is not an identifier (<see cref="Values.IsIdentifier"/>) and has at least
/// <see cref="MinimumValues"/> numeric values, a value below Q1 - 1.5 IQR or above Q3 + 1.5 IQR is an outlier.
/// Quartiles are interpolated linearly between the closest ranks (the method of Excel's QUARTILE.INC and numpy's
/// default). IQR rather than a z-score: one extreme value inflates the standard deviation it is measured against,
/// and hides itself in a small table; the quartiles do not move.
/// </summary>
public sealed class OutlierDetector : IRealmService
{
    /// <summary>How many numeric values a column needs before it is measured.</summary>
    public const int MinimumValues = 4;

    /// <summary>The fences' distance from the quartiles, in IQRs.</summary>
    public const double K = 1.5;

    /// <summary>The method, as the report states it.</summary>
    public const string Method = "IQR (Tukey's fences): outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR], quartiles linearly interpolated; identifier columns are not measured";

    /// <summary>Finds the outliers of a profiled table.</summary>
    /// <param name="file">The table's file.</param>
    /// <param name="table">The table.</param>
    /// <param name="profile">Its profile (which columns are numeric).</param>
    /// <returns>The fences and the outliers.</returns>
    public OutlierReport Detect(string file, ParsedTable table, TableProfile profile)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(profile);
        var fences = new List<ColumnFences>();
        var outliers = new List<Outlier>();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            var column = profile.Columns[c];
            if (column.InferredType is not ("integer" or "number") || Values.IsIdentifier(column.Name))
            {
                continue;
            }

            var numbers = new List<(int Row, string Text, double Value)>();
            foreach (var row in table.Rows)
            {
                var text = row.Cells[c].Trim();
                if (Values.TryNumber(text, out var value))
                {
                    numbers.Add((row.Number, text, value));
                }
            }

            if (numbers.Count < MinimumValues)
            {
                continue;
            }

            var f = Fences(column.Name, [.. numbers.Select(n => n.Value)]);
            fences.Add(f);
            outliers.AddRange(numbers.Where(n => n.Value < f.Lower || n.Value > f.Upper).Select(n => new Outlier(column.Name, n.Row, n.Text, f.Lower, f.Upper)));
        }

        return new OutlierReport(file, Method, fences, outliers);
    }

    /// <summary>The quartiles and fences of a set of values.</summary>
    /// <param name="column">The column's name.</param>
    /// <param name="values">The values (at least one).</param>
    /// <returns>The fences.</returns>
    public ColumnFences Fences(string column, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        var q1 = Quantile(sorted, 0.25);
        var q3 = Quantile(sorted, 0.75);
        var iqr = q3 - q1;
        return new ColumnFences(column, q1, q3, q1 - (K * iqr), q3 + (K * iqr));
    }

    /// <summary>A quantile of sorted values, linearly interpolated between the closest ranks.</summary>
    /// <param name="sorted">The values, ascending.</param>
    /// <param name="p">The quantile, 0 to 1.</param>
    /// <returns>The quantile.</returns>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var position = (sorted.Count - 1) * p;
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
