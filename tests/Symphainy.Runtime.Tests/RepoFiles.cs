using System.Text.RegularExpressions;

namespace Symphainy.Runtime.Tests;

/// <summary>Finds files of the repository the tests run from.</summary>
internal static partial class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    /// <summary>The first column of every markdown table row whose first cell is a code span.</summary>
    public static IReadOnlyList<string> ReadTableFirstColumn(string relative) =>
        File.ReadAllLines(Path(relative))
            .Select(line => FirstCell().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToArray();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Symphainy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Symphainy.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\|\s*`([^`]+)`\s*\|")]
    private static partial Regex FirstCell();
}
