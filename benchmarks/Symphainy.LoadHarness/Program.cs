// End-to-end load harness: runs the platform and its baselines in one process and one run, and prints
// throughput, latency percentiles, allocations per operation and the ratios to the baselines.
// Release only, alone on the machine:
//   dotnet run -c Release --project benchmarks/Symphainy.LoadHarness -- wal [--seconds 5] [--writers 1,16,256]
// It reports and always exits 0 once it ran (2 on a bad command line); nothing here runs in CI.
using System.Globalization;
using System.Text;
using Symphainy.LoadHarness;

HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(HarnessOptions.Usage);
    return 2;
}

var (selected, unknown) = Scenarios.Select(options.Scenarios);
if (options.ShowHelp || unknown.Count > 0)
{
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine("unknown scenario(s): " + string.Join(", ", unknown));
    }

    Console.Error.WriteLine(HarnessOptions.Usage);
    Console.Error.WriteLine("scenarios:");
    foreach (var scenario in Scenarios.All)
    {
        Console.Error.WriteLine($"  {scenario.Name,-10} {scenario.Description}");
    }

    return options.ShowHelp && unknown.Count == 0 ? 0 : 2;
}

#if DEBUG
Console.Error.WriteLine("warning: this is a Debug build; measure with -c Release");
#endif
Console.OutputEncoding = Encoding.UTF8;
var (workDirectory, fileSystem) = WorkDirectory.Create(options.DataRoot);
options = options with { WorkDirectory = workDirectory };
var machine = string.Create(CultureInfo.InvariantCulture,
    $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {options.Duration.TotalSeconds:0.##} s per row after {options.Warmup.TotalSeconds:0.##} s warm-up; payload {options.PayloadBytes} B; data in {workDirectory} ({fileSystem})");
Console.WriteLine("machine: " + machine);
if (fileSystem is "tmpfs" or "ramfs")
{
    Console.WriteLine($"warning: the data directory is on {fileSystem}; fsync costs nothing there, so durable numbers mean little");
}

var tables = new List<ResultTable>();
try
{
    foreach (var scenario in selected)
    {
        Console.Error.WriteLine($"running {scenario.Name}...");
        tables.Add(new ResultTable(scenario, await scenario.RunAsync(options)));
    }
}
finally
{
    WorkDirectory.Delete(workDirectory);
}

foreach (var table in tables)
{
    Console.WriteLine();
    table.Print(Console.Out);
}

var baselineNames = selected.SelectMany(s => s.Baselines).Select(b => b.Name).Distinct().ToArray();
if (options.CsvPath is not null)
{
    await File.WriteAllLinesAsync(options.CsvPath, tables.SelectMany(t => t.CsvLines(baselineNames)).Prepend(ResultTable.CsvHeader(baselineNames)));
    Console.WriteLine($"csv: {Path.GetFullPath(options.CsvPath)}");
}

if (options.JsonPath is not null)
{
    await File.WriteAllTextAsync(options.JsonPath, ResultTable.ToJson(new { machine, startedBy = string.Join(' ', args) }, tables));
    Console.WriteLine($"json: {Path.GetFullPath(options.JsonPath)}");
}

return 0;
