using Symphainy.Realms;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Profiles a table's columns: missing values (an empty or blank cell), the inferred type, and the values that type
/// does not accept. A column's type is the one of <see cref="Values.Types"/> that accepts the most of its values, the
/// narrowest on a tie, provided it accepts at least <see cref="TypeThreshold"/> of them; otherwise <c>text</c>, which
/// accepts everything (so a text column has no mismatches).
/// </summary>
public sealed class ColumnProfiler : IRealmService
{
    /// <summary>The share of a column's values a type must accept to be inferred.</summary>
    public const double TypeThreshold = 0.75;

    /// <summary>Profiles a table.</summary>
    /// <param name="file">The table's file.</param>
    /// <param name="table">The table.</param>
    /// <returns>Its profile.</returns>
    public TableProfile Profile(string file, ParsedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = new List<ColumnProfile>(table.Columns.Count);
        for (var c = 0; c < table.Columns.Count; c++)
        {
            var present = new List<(int Row, string Value)>();
            var missing = new List<int>();
            foreach (var row in table.Rows)
            {
                var value = c < row.Cells.Count ? row.Cells[c].Trim() : "";
                if (value.Length == 0)
                {
                    missing.Add(row.Number);
                }
                else
                {
                    present.Add((row.Number, value));
                }
            }

            var type = Infer([.. present.Select(p => p.Value)]);
            var mismatches = present.Where(p => !Values.Accepts(type, p.Value)).Select(p => new TypeMismatch(p.Row, p.Value, type)).ToList();
            columns.Add(new ColumnProfile(table.Columns[c], type, present.Count, missing, mismatches, present.Select(p => p.Value).Distinct(StringComparer.Ordinal).Count()));
        }

        return new TableProfile(file, table.Rows.Count, columns);
    }

    /// <summary>Infers the type of a column's values (see the class's remarks).</summary>
    /// <param name="values">The non-empty values.</param>
    /// <returns>The type.</returns>
    public string Infer(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return "text";
        }

        var best = Values.Types.Select((type, order) => (Type: type, Order: order, Accepted: values.Count(v => Values.Accepts(type, v))))
            .OrderByDescending(t => t.Accepted).ThenBy(t => t.Order).First();
        return best.Accepted >= TypeThreshold * values.Count ? best.Type : "text";
    }
}
