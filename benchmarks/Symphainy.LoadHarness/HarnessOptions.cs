using System.Globalization;

namespace Symphainy.LoadHarness;

/// <summary>Command-line options shared by every scenario.</summary>
internal sealed record HarnessOptions(
    IReadOnlyList<string> Scenarios,
    TimeSpan Duration,
    TimeSpan Warmup,
    IReadOnlyList<int> Writers,
    int PayloadBytes,
    string? CsvPath,
    string? JsonPath,
    string WorkDirectory)
{
    public static HarnessOptions Parse(string[] args)
    {
        var scenarios = new List<string>();
        var duration = TimeSpan.FromSeconds(5);
        var warmup = TimeSpan.FromSeconds(1);
        IReadOnlyList<int> writers = [1, 16, 256];
        var payload = 128;
        string? csv = null, json = null;
        var work = Path.Combine(Directory.GetCurrentDirectory(), "harness-data");
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seconds": duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--warmup": warmup = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "--writers": writers = Next().Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--payload": payload = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--csv": csv = Next(); break;
                case "--json": json = Next(); break;
                case "--dir": work = Next(); break;
                case var s when s.StartsWith("--", StringComparison.Ordinal): throw new ArgumentException($"unknown option {s}");
                default: scenarios.Add(args[i]); break;
            }
        }

        return new HarnessOptions(scenarios, duration, warmup, writers, payload, csv, json, Path.GetFullPath(work));
    }
}
