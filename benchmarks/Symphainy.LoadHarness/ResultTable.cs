using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Symphainy.LoadHarness;

/// <summary>
/// The rows of one scenario with their ratio to each of its baselines (same concurrency, same run), written
/// as a console table, CSV or JSON.
/// </summary>
internal sealed class ResultTable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly IScenario _scenario;
    private readonly IReadOnlyList<ResultRow> _rows;

    /// <summary>Wraps the rows <paramref name="scenario"/> produced.</summary>
    public ResultTable(IScenario scenario, IReadOnlyList<ResultRow> rows)
    {
        _scenario = scenario;
        _rows = rows;
        Summary = scenario.Summarize(rows).ToArray();
    }

    /// <summary>The scenario's ratio and goal lines.</summary>
    public IReadOnlyList<string> Summary { get; }

    /// <summary>Prints the table and the summary lines.</summary>
    public void Print(TextWriter output)
    {
        var header = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{"scenario",-10} {"variant",-26} {"writers",7} {"ops/s",12} {"p50 µs",9} {"p99 µs",9} {"p99.9 µs",9} {"alloc B/op",10}"));
        foreach (var baseline in _scenario.Baselines)
        {
            header.Append(CultureInfo.InvariantCulture, $" {"x " + baseline.Name,12}");
        }

        output.WriteLine(header);
        foreach (var row in _rows)
        {
            var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
                $"{row.Scenario,-10} {row.Variant,-26} {row.Concurrency,7} {row.OpsPerSecond,12:N0} {row.P50Micros,9:F1} {row.P99Micros,9:F1} {row.P999Micros,9:F1} {row.AllocatedBytesPerOp,10:F0}"));
            foreach (var baseline in _scenario.Baselines)
            {
                line.Append(CultureInfo.InvariantCulture, $" {Format(baseline.Ratio(_rows, row)),12}");
            }

            output.WriteLine(line);
        }

        output.WriteLine();
        foreach (var summary in Summary)
        {
            output.WriteLine(summary);
        }
    }

    /// <summary>CSV lines (without header) of every row; ratio columns named <c>ratio_to_&lt;baseline&gt;</c> in <see cref="CsvHeader"/>.</summary>
    public IEnumerable<string> CsvLines(IReadOnlyList<string> baselineNames) =>
        _rows.Select(r => string.Join(',',
            new[]
            {
                r.Scenario, r.Variant, Invariant(r.Concurrency), Invariant(r.Operations), Invariant(r.OpsPerSecond, "F0"),
                Invariant(r.P50Micros, "F1"), Invariant(r.P99Micros, "F1"), Invariant(r.P999Micros, "F1"), Invariant(r.AllocatedBytesPerOp, "F0"),
            }.Concat(baselineNames.Select(name => _scenario.Baselines.FirstOrDefault(b => b.Name == name)?.Ratio(_rows, r) is { } ratio ? Invariant(ratio, "F3") : ""))));

    /// <summary>The CSV header for rows of scenarios with the given baselines.</summary>
    public static string CsvHeader(IReadOnlyList<string> baselineNames) =>
        "scenario,variant,writers,operations,ops_per_second,p50_us,p99_us,p999_us,alloc_bytes_per_op" +
        string.Concat(baselineNames.Select(n => ",ratio_to_" + n));

    /// <summary>The scenario's rows, ratios and summary as a JSON object.</summary>
    public object ToJsonObject() => new
    {
        scenario = _scenario.Name,
        rows = _rows.Select(r => new
        {
            r.Variant,
            Writers = r.Concurrency,
            r.Operations,
            r.OpsPerSecond,
            r.P50Micros,
            r.P99Micros,
            r.P999Micros,
            r.AllocatedBytesPerOp,
            RatioTo = _scenario.Baselines.ToDictionary(b => b.Name, b => b.Ratio(_rows, r)),
        }),
        summary = Summary,
    };

    /// <summary>Serializes several tables as one JSON document.</summary>
    public static string ToJson(object header, IEnumerable<ResultTable> tables) =>
        JsonSerializer.Serialize(new { run = header, scenarios = tables.Select(t => t.ToJsonObject()) }, Json);

    private static string Format(double? ratio) => ratio is { } r ? r.ToString(r >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture) + "x" : "-";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
