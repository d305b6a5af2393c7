using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Compares two tables' columns. Names are first reduced (<see cref="Values.Normalize"/>: case, spaces, '_' and '-'
/// do not count); equal reduced names match. The rest are paired by similarity, greedily from the most alike pair
/// down (ties in column order): similarity is the larger of 1 - Levenshtein distance / longer length, and, when one
/// reduced name contains the other (at least 3 characters), 0.5 + 0.5 × shorter / longer. A pair at or above
/// <see cref="RenameThreshold"/> is a rename; columns left over are missing (first table only) or added (second only).
/// </summary>
public sealed class SchemaMatcher : IRealmService
{
    /// <summary>How alike two names must be for one column to count as the other renamed.</summary>
    public const double RenameThreshold = 0.6;

    /// <summary>Compares the columns of two tables.</summary>
    /// <param name="left">The first file's name.</param>
    /// <param name="leftColumns">Its columns.</param>
    /// <param name="right">The second file's name.</param>
    /// <param name="rightColumns">Its columns.</param>
    /// <returns>Matched, renamed, missing and added columns.</returns>
    public SchemaComparison Compare(string left, IReadOnlyList<string> leftColumns, string right, IReadOnlyList<string> rightColumns)
    {
        ArgumentNullException.ThrowIfNull(leftColumns);
        ArgumentNullException.ThrowIfNull(rightColumns);
        var matched = new List<ColumnMatch>();
        var leftOpen = leftColumns.Select((name, i) => (Name: name, Index: i)).ToList();
        var rightOpen = rightColumns.Select((name, i) => (Name: name, Index: i)).ToList();
        foreach (var l in leftOpen.ToList())
        {
            if (rightOpen.FirstOrDefault(r => Values.Normalize(r.Name) == Values.Normalize(l.Name)) is { Name: not null } r)
            {
                matched.Add(new ColumnMatch(l.Name, r.Name, 1));
                leftOpen.Remove(l);
                rightOpen.Remove(r);
            }
        }

        var candidates = leftOpen.SelectMany(l => rightOpen.Select(r => (Left: l, Right: r, Similarity: Math.Round(Similarity(l.Name, r.Name), 3))))
            .Where(p => p.Similarity >= RenameThreshold)
            .OrderByDescending(p => p.Similarity).ThenBy(p => p.Left.Index).ThenBy(p => p.Right.Index).ToList();
        var renamed = new List<ColumnMatch>();
        foreach (var (l, r, similarity) in candidates)
        {
            if (leftOpen.Contains(l) && rightOpen.Contains(r))
            {
                renamed.Add(new ColumnMatch(l.Name, r.Name, similarity));
                leftOpen.Remove(l);
                rightOpen.Remove(r);
            }
        }

        return new SchemaComparison(left, right, matched, [.. renamed.OrderBy(m => leftColumns.ToList().IndexOf(m.Left))],
            [.. leftOpen.Select(l => l.Name)], [.. rightOpen.Select(r => r.Name)]);
    }

    /// <summary>How alike two column names are, 0 to 1 (see the class's remarks).</summary>
    /// <param name="a">One name.</param>
    /// <param name="b">The other.</param>
    /// <returns>The similarity.</returns>
    public static double Similarity(string a, string b)
    {
        var x = Values.Normalize(a);
        var y = Values.Normalize(b);
        if (x.Length == 0 || y.Length == 0)
        {
            return 0;
        }

        var longer = Math.Max(x.Length, y.Length);
        var shorter = Math.Min(x.Length, y.Length);
        var edit = 1 - ((double)Levenshtein(x, y) / longer);
        var contained = shorter >= 3 && (x.Contains(y, StringComparison.Ordinal) || y.Contains(x, StringComparison.Ordinal)) ? 0.5 + (0.5 * shorter / longer) : 0;
        return Math.Max(edit, contained);
    }

    /// <summary>The Levenshtein distance: the fewest insertions, deletions and substitutions that turn one string into the other.</summary>
    /// <param name="a">One string.</param>
    /// <param name="b">The other.</param>
    /// <returns>The distance.</returns>
    public static int Levenshtein(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
