using System.Text;
using Symphainy.Agents;
using Symphainy.Realms;
using Symphainy.Samples.Realms.Insights;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>
/// Composes the report in Markdown, deterministically: the same content gives the same bytes (no clock, no ids), so
/// the report's hash identifies it. Sections: summary (the synthesis agent's claims), defects (one line each,
/// <c>- **{kind}** `{file}#row={n};column={name}`: …</c>, exactly the assessment's defects), analysis (the analyst's
/// claims, each with the facts it cites and their sources), columns, outliers, policy rules, schema comparison (when a
/// reference was given) and provenance (models, prompt versions, content hashes). Text from the files is escaped.
/// </summary>
public sealed class ReportComposer : IRealmService
{
    /// <summary>Composes the report.</summary>
    /// <param name="content">What it is composed from.</param>
    /// <returns>The Markdown.</returns>
    public string Compose(ReportContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var a = content.Assessment;
        var md = new StringBuilder();
        md.Append("# ").AppendLine(Text(content.Title)).AppendLine();
        md.Append("Data: ").Append(Code(content.Data.Name)).Append(" (").Append(a.Rows).Append(" rows, ").Append(a.Profile.Columns.Count)
            .Append(" columns, sha256 ").Append(Code(content.Data.Sha256[..12])).Append(')');
        if (content.Policy is { } policy)
        {
            md.Append("; policy: ").Append(Code(policy.Name)).Append(" (").Append(a.Rules.Count).Append(" rules, sha256 ").Append(Code(policy.Sha256[..12])).Append(')');
        }

        md.AppendLine(".").AppendLine();

        md.AppendLine("## Summary").AppendLine();
        Claims(md, content.Summary.Result.Claims, content.Summary.Facts, "The summary makes no claim.");

        md.Append("## Defects (").Append(a.Defects.Count).AppendLine(")").AppendLine();
        if (a.Defects.Count == 0)
        {
            md.AppendLine("No defects found.").AppendLine();
        }
        else
        {
            foreach (var d in a.Defects)
            {
                md.Append("- **").Append(d.Kind).Append("** ").Append(Code(d.Reference)).Append(": ").Append(Text(d.Description));
                if (d.Rules.Count > 0)
                {
                    md.Append(" Breaks policy rule ").Append(string.Join(", ", d.Rules)).Append('.');
                }

                md.AppendLine();
            }

            md.AppendLine();
        }

        md.AppendLine("## Analysis").AppendLine();
        Claims(md, content.Analysis.Result.Claims, content.Analysis.Facts, "The analysis makes no claim.");

        md.AppendLine("## Columns").AppendLine();
        md.AppendLine("| Column | Inferred type | Present | Missing | Type mismatches | Distinct |").AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var c in a.Profile.Columns)
        {
            md.Append("| ").Append(Text(c.Name)).Append(" | ").Append(c.InferredType).Append(" | ").Append(c.Present).Append(" | ").Append(c.MissingRows.Count)
                .Append(" | ").Append(c.Mismatches.Count).Append(" | ").Append(c.Distinct).AppendLine(" |");
        }

        md.AppendLine();
        md.AppendLine("## Outliers").AppendLine();
        md.Append("Method: ").Append(Text(a.Outliers.Method)).AppendLine(".").AppendLine();
        if (a.Outliers.Fences.Count > 0)
        {
            md.AppendLine("| Column | Q1 | Q3 | Lower fence | Upper fence | Outliers |").AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var f in a.Outliers.Fences)
            {
                md.Append("| ").Append(Text(f.Column)).Append(" | ").Append(Values.Format(f.Q1)).Append(" | ").Append(Values.Format(f.Q3)).Append(" | ")
                    .Append(Values.Format(f.Lower)).Append(" | ").Append(Values.Format(f.Upper)).Append(" | ")
                    .Append(a.Outliers.Outliers.Count(o => o.Column == f.Column)).AppendLine(" |");
            }

            md.AppendLine();
        }

        md.AppendLine("## Policy rules").AppendLine();
        if (a.Rules.Count == 0)
        {
            md.AppendLine("No policy was given.").AppendLine();
        }
        else
        {
            foreach (var rule in a.Rules)
            {
                var broken = a.Defects.Count(d => d.Rules.Contains(rule.Number));
                md.Append(rule.Number).Append(". ").Append(Text(rule.Text)).Append(" (").Append(Code(rule.Source)).Append("): ")
                    .AppendLine(rule.Applies ? $"{broken} {(broken == 1 ? "defect" : "defects")}." : $"not checked, the data has no column {Text(rule.Column)}.");
            }

            md.AppendLine();
        }

        if (content.Schema is { } schema)
        {
            md.Append("## Schema compared with ").AppendLine(Code(schema.Left)).AppendLine();
            md.Append("- Matched: ").AppendLine(List(schema.Matched.Select(m => Text(m.Right))));
            md.Append("- Renamed: ").AppendLine(List(schema.Renamed.Select(m => $"{Text(m.Left)} → {Text(m.Right)} (similarity {Values.Format(m.Similarity)})")));
            md.Append("- Missing: ").AppendLine(List(schema.MissingFromRight.Select(Text)));
            md.Append("- Added: ").AppendLine(List(schema.AddedInRight.Select(Text)));
            md.AppendLine();
        }

        md.AppendLine("## Provenance").AppendLine();
        Provenance(md, "Summary", content.Summary.Model, content.Summary.PromptVersion, content.Summary.ContentHash, content.Summary.Facts.Count);
        Provenance(md, "Analysis", content.Analysis.Model, content.Analysis.PromptVersion, content.Analysis.ContentHash, content.Analysis.Facts.Count);
        return md.ToString();
    }

    private static void Claims(StringBuilder md, IReadOnlyList<Claim> claims, IReadOnlyList<Fact> facts, string none)
    {
        if (claims.Count == 0)
        {
            md.AppendLine(none).AppendLine();
            return;
        }

        var byId = facts.ToDictionary(f => f.Id, StringComparer.Ordinal);
        foreach (var claim in claims)
        {
            md.Append("- ").Append(Text(claim.Text)).Append(" (cites ")
                .Append(string.Join("; ", claim.Citations.Select(id => byId.TryGetValue(id, out var fact) ? $"{id}: {Code(fact.Source)}" : id))).AppendLine(")");
        }

        md.AppendLine();
    }

    private static void Provenance(StringBuilder md, string what, string model, string prompts, string hash, int facts) =>
        md.Append("- ").Append(what).Append(": model ").Append(Code(model)).Append(", prompts ").Append(Code(prompts)).Append(", ").Append(facts)
            .Append(" facts, content hash ").AppendLine(Code(hash[..16]));

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return all.Count == 0 ? "none" : string.Join(", ", all);
    }

    /// <summary>Text from the files, with the characters Markdown would read as markup escaped by a backslash.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The escaped text.</returns>
    public static string Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text.ReplaceLineEndings(" "))
        {
            if (c is '\\' or '`' or '*' or '|' or '#' or '[' or ']' or '<' or '>')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    /// <summary>A code span; a backtick inside becomes a quote, so the span cannot be broken out of.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The span.</returns>
    public static string Code(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "`" + text.ReplaceLineEndings(" ").Replace('`', '\'') + "`";
    }
}
