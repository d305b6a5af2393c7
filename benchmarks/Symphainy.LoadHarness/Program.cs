// End-to-end load harness: runs the platform and its baselines in one process and one run, and prints
// throughput, latency percentiles, allocations per operation and the ratios to the baselines.
//   dotnet run -c Release --project benchmarks/Symphainy.LoadHarness -- wal [--seconds 5] [--writers 1,16,256]
using System.Globalization;
using System.Text;
using System.Text.Json;
using Symphainy.LoadHarness;

HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var unknown = options.Scenarios.Where(name => Scenarios.All.All(s => s.Name != name)).ToArray();
var selected = options.Scenarios.Count == 0 ? Scenarios.All : Scenarios.All.Where(s => options.Scenarios.Contains(s.Name)).ToArray();
if (unknown.Length > 0)
{
    Console.Error.WriteLine("unknown scenario(s): " + string.Join(", ", unknown));
    Console.Error.WriteLine("scenarios: " + string.Join(", ", Scenarios.All.Select(s => $"{s.Name} ({s.Description})")));
    return 2;
}

#if DEBUG
Console.Error.WriteLine("warning: a Debug build; measure with -c Release");
#endif
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {options.Duration.TotalSeconds}s per row after {options.Warmup.TotalSeconds}s warm-up; payload {options.PayloadBytes} B; data in {options.WorkDirectory}"));
var rows = new List<ResultRow>();
var summaries = new List<string>();
foreach (var scenario in selected)
{
    Console.Error.WriteLine($"running {scenario.Name}...");
    var result = await scenario.RunAsync(options);
    rows.AddRange(result);
    summaries.AddRange(scenario.Summarize(result));
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-10} {"variant",-26} {"conc",5} {"ops/s",12} {"p50 us",9} {"p99 us",9} {"p99.9 us",9} {"alloc B/op",10}");
foreach (var row in rows)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{row.Scenario,-10} {row.Variant,-26} {row.Concurrency,5} {row.OpsPerSecond,12:N0} {row.P50Micros,9:F1} {row.P99Micros,9:F1} {row.P999Micros,9:F1} {row.AllocatedBytesPerOp,10:F0}"));
}

Console.WriteLine();
summaries.ForEach(Console.WriteLine);
if (options.CsvPath is not null)
{
    var csv = new StringBuilder("scenario,variant,concurrency,operations,ops_per_second,p50_us,p99_us,p999_us,alloc_bytes_per_op\n");
    foreach (var r in rows)
    {
        csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{r.Scenario},{r.Variant},{r.Concurrency},{r.Operations},{r.OpsPerSecond:F0},{r.P50Micros:F1},{r.P99Micros:F1},{r.P999Micros:F1},{r.AllocatedBytesPerOp:F0}"));
    }

    await File.WriteAllTextAsync(options.CsvPath, csv.ToString());
}

if (options.JsonPath is not null)
{
    await File.WriteAllTextAsync(options.JsonPath, JsonSerializer.Serialize(new { rows, summaries }, new JsonSerializerOptions { WriteIndented = true }));
}

if (Directory.Exists(options.WorkDirectory) && !Directory.EnumerateFileSystemEntries(options.WorkDirectory).Any())
{
    Directory.Delete(options.WorkDirectory);
}

return 0;
