using System.Globalization;
using System.Text.Json;

namespace Symphainy.Reliability.Tests;

/// <summary>
/// The suite's two modes and its summary. CI runs the fixed budgets; <c>./build.sh reliability --long</c> sets
/// <c>SYMPHAINY_RELIABILITY_LONG=1</c> and every area runs its deeper budget.
/// </summary>
public static class ReliabilitySuite
{
    /// <summary>True in long mode (<c>SYMPHAINY_RELIABILITY_LONG=1</c>).</summary>
    public static bool LongMode { get; } = Environment.GetEnvironmentVariable("SYMPHAINY_RELIABILITY_LONG") is "1" or "true";

    /// <summary>Picks the CI budget or the long one.</summary>
    public static int Budget(int ci, int longRun) => LongMode ? longRun : ci;

    /// <summary>
    /// Where the summary lines go: <c>SYMPHAINY_RELIABILITY_SUMMARY</c> (build.sh points it into the results
    /// directory and prints the table after the run), else a file in the temp directory.
    /// </summary>
    public static string SummaryPath { get; } =
        Environment.GetEnvironmentVariable("SYMPHAINY_RELIABILITY_SUMMARY") is { Length: > 0 } path
            ? path
            : Path.Combine(Path.GetTempPath(), "symphainy-reliability-summary.jsonl");

    private static readonly Lock Gate = new();

    /// <summary>
    /// Records one figure of the summary table (area, what was counted, how many, violations found). Call it once
    /// per test at the end, with what the test really did (not its budget).
    /// </summary>
    public static void Record(string area, string measure, long count, long violations)
    {
        var line = JsonSerializer.Serialize(new SummaryLine(area, measure, count, violations,
            DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(SummaryPath))!);
            File.AppendAllText(SummaryPath, line + Environment.NewLine);
        }
    }

    private sealed record SummaryLine(string Area, string Measure, long Count, long Violations, string At);
}
