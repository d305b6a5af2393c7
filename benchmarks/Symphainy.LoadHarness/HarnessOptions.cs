using System.Globalization;

namespace Symphainy.LoadHarness;

/// <summary>Command-line options shared by every scenario.</summary>
/// <param name="Scenarios">Scenario names to run; empty runs them all.</param>
/// <param name="Duration">Measured time per row.</param>
/// <param name="Warmup">Unmeasured time before each row, on the same instance.</param>
/// <param name="Writers">Concurrencies to measure.</param>
/// <param name="PayloadBytes">Payload size of one operation.</param>
/// <param name="Nodes">Graph size of the graph scenario, in nodes.</param>
/// <param name="Records">Log size of the recovery scenario, in records.</param>
/// <param name="CsvPath">Where to write the rows as CSV, if anywhere.</param>
/// <param name="JsonPath">Where to write the rows and summaries as JSON, if anywhere.</param>
/// <param name="DataRoot">Where to put the run's data directory; null: the system temp directory, unless it is in memory.</param>
/// <param name="ShowHelp">Print the usage and exit.</param>
internal sealed record HarnessOptions(
    IReadOnlyList<string> Scenarios,
    TimeSpan Duration,
    TimeSpan Warmup,
    IReadOnlyList<int> Writers,
    int PayloadBytes,
    int Nodes,
    int Records,
    string? CsvPath,
    string? JsonPath,
    string? DataRoot,
    bool ShowHelp)
{
    /// <summary>The usage text.</summary>
    public const string Usage =
        "usage: Symphainy.LoadHarness [scenario...] [--seconds 5] [--warmup 1] [--writers 1,16,256] [--payload 128] [--nodes 1000000] [--records 1000000]\n" +
        "                             [--dir PATH] [--csv PATH] [--json PATH]";

    /// <summary>The fresh directory of this run (set by the harness before scenarios run); deleted afterwards.</summary>
    public string WorkDirectory { get; init; } = "";

    /// <summary>Parses the command line.</summary>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has a bad one.</exception>
    public static HarnessOptions Parse(string[] args)
    {
        var scenarios = new List<string>();
        var duration = TimeSpan.FromSeconds(5);
        var warmup = TimeSpan.FromSeconds(1);
        int[] writers = [1, 16, 256];
        var payload = 128;
        var nodes = 1_000_000;
        var records = 1_000_000;
        string? csv = null, json = null, root = null;
        var help = false;
        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value");
            switch (option)
            {
                case "--seconds": duration = TimeSpan.FromSeconds(Positive(option, ParseDouble(option, Next()))); break;
                case "--warmup": warmup = TimeSpan.FromSeconds(Math.Max(0, ParseDouble(option, Next()))); break;
                case "--writers": writers = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(w => (int)Positive(option, ParseInt(option, w))).ToArray(); break;
                case "--payload": payload = (int)Positive(option, ParseInt(option, Next())); break;
                case "--nodes": nodes = (int)Positive(option, ParseInt(option, Next())); break;
                case "--records": records = (int)Positive(option, ParseInt(option, Next())); break;
                case "--csv": csv = Next(); break;
                case "--json": json = Next(); break;
                case "--dir": root = Next(); break;
                case "-h" or "--help": help = true; break;
                case var s when s.StartsWith('-'): throw new ArgumentException($"unknown option {s}");
                default: scenarios.Add(option); break;
            }
        }

        if (writers.Length == 0)
        {
            throw new ArgumentException("--writers needs at least one count, e.g. 1,16,256");
        }

        return new HarnessOptions(scenarios, duration, warmup, writers, payload, nodes, records, csv, json, root, help);
    }

    private static double ParseDouble(string option, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new ArgumentException($"{option}: '{value}' is not a number");

    private static int ParseInt(string option, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new ArgumentException($"{option}: '{value}' is not a whole number");

    private static double Positive(string option, double value) =>
        value > 0 ? value : throw new ArgumentException($"{option} must be greater than zero");
}
