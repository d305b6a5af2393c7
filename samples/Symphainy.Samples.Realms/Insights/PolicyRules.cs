using System.Text.RegularExpressions;
using Symphainy.Realms;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Reads the rules of a policy text: each line of the form <c>[1. | -] [the] [column] {name} must|should|shall be
/// positive|unique|present</c> is a rule, cited by its line (<c>policy.txt#line=5</c>). The name is matched to the
/// table's columns with <see cref="Values.Normalize"/>, then without a plural 's', then (for "ids") to the one
/// identifier column; a rule naming no column is kept and marked as not applying.
/// </summary>
public sealed partial class PolicyReader : IRealmService
{
    /// <summary>Reads the rules of a parsed policy text.</summary>
    /// <param name="policy">The policy (text or Markdown).</param>
    /// <param name="columns">The columns of the table the rules are for.</param>
    /// <returns>The rules, numbered from 1 in policy order.</returns>
    public IReadOnlyList<PolicyRule> Read(ParsedDocument policy, IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(columns);
        var rules = new List<PolicyRule>();
        foreach (var chunk in policy.Chunks)
        {
            var lines = chunk.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var match = Rule().Match(lines[i]);
                if (!match.Success)
                {
                    continue;
                }

                var named = match.Groups["column"].Value.Trim();
                var column = Resolve(named, columns);
                rules.Add(new PolicyRule(rules.Count + 1, column ?? named, match.Groups["requirement"].Value.ToLowerInvariant(),
                    Numbering().Replace(lines[i].Trim(), ""), $"{policy.Name}#line={chunk.FirstLine + i}", column is not null));
            }
        }

        return rules;
    }

    private static string? Resolve(string named, IReadOnlyList<string> columns)
    {
        var wanted = Values.Normalize(named);
        var singular = wanted.EndsWith('s') ? wanted[..^1] : wanted;
        var found = columns.FirstOrDefault(c => Values.Normalize(c) == wanted) ?? columns.FirstOrDefault(c => Values.Normalize(c) == singular);
        if (found is null && singular == "id")
        {
            var identifiers = columns.Where(Values.IsIdentifier).ToList();
            found = identifiers.Count == 1 ? identifiers[0] : null;
        }

        return found;
    }

    [GeneratedRegex(@"^\s*(?:[-*]\s+|\d+[.)]\s*)?(?:the\s+)?(?:column\s+)?(?<column>[\p{L}\p{N}_][\p{L}\p{N}_ -]*?)\s+(?:must|should|shall)\s+(?:always\s+)?be\s+(?<requirement>positive|unique|present)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Rule();

    [GeneratedRegex(@"^(?:[-*]\s+|\d+[.)]\s*)")]
    private static partial Regex Numbering();
}

/// <summary>
/// Checks a table against policy rules: <c>positive</c> (a number greater than 0; values that are missing or not
/// numbers are left to the profiler), <c>unique</c> (each value after its first occurrence breaks it; missing values
/// are not compared) and <c>present</c> (an empty cell breaks it). Rules that do not apply are skipped.
/// </summary>
public sealed class PolicyChecker : IRealmService
{
    /// <summary>Checks a table against rules.</summary>
    /// <param name="table">The table.</param>
    /// <param name="rules">The rules.</param>
    /// <returns>The violations, by rule then row.</returns>
    public IReadOnlyList<PolicyViolation> Check(ParsedTable table, IReadOnlyList<PolicyRule> rules)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rules);
        var violations = new List<PolicyViolation>();
        foreach (var rule in rules.Where(r => r.Applies))
        {
            var c = table.Columns.ToList().IndexOf(rule.Column);
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var row in table.Rows)
            {
                var value = row.Cells[c].Trim();
                switch (rule.Requirement)
                {
                    case "present" when value.Length == 0:
                        violations.Add(new PolicyViolation(rule.Number, row.Number, rule.Column, value));
                        break;
                    case "positive" when Values.TryNumber(value, out var number) && number <= 0:
                        violations.Add(new PolicyViolation(rule.Number, row.Number, rule.Column, value));
                        break;
                    case "unique" when value.Length > 0:
                        if (seen.TryGetValue(value, out var first))
                        {
                            violations.Add(new PolicyViolation(rule.Number, row.Number, rule.Column, value, first));
                        }
                        else
                        {
                            seen[value] = row.Number;
                        }

                        break;
                }
            }
        }

        return violations;
    }
}
