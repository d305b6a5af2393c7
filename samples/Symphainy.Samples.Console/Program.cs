// The main sample: every plane on the embedded defaults (a file write-ahead log and a SQLite state graph under
// ./symphainy-data), the three sample realms, and one intent that flows across them: ingest a CSV with defects and a
// policy text (content), assess the data's quality against the policy (insights), write a report (outcomes).
//
//   dotnet run --project samples/Symphainy.Samples.Console                     runs the report
//   ... -- --data <directory>                                                    keeps its data elsewhere
//   ... -- --crash-after-step <n>                                               kills itself (SIGKILL) once n steps are recorded
//
// Run it twice: the second run submits the same intent with the same idempotency key, so it reuses the recorded
// execution instead of starting a new one. Kill it with --crash-after-step and run it again: the saga resumes after the
// last recorded step (the recorded ones, agents included, are replayed from the log, not run again).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Realms;
using Symphainy.Sagas;
using Symphainy.Samples.Realms;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;
using Symphainy.Samples.Realms.Outcomes;
using Symphainy.SmartCity;
using Symphainy.State;

var data = Option("--data") ?? Path.Combine(Environment.CurrentDirectory, "symphainy-data");
var crashAfter = Option("--crash-after-step") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : (int?)null;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders(); // the sample prints its own progress; add a provider to see the platform's logs
builder.Configuration["Symphainy:DataDirectory"] = data;
builder.Services.AddSymphainy(symphainy => symphainy
    .AddRealm<ContentRealm>()
    .AddRealm<InsightsRealm>()
    .AddRealm<OutcomesRealm>()
    .AddSmartCity()); // governs: every intent is authorized for its principal, rate limits, telemetry, the City Manager

using var host = builder.Build();
await host.StartAsync();
var wal = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
var earlier = wal.NextPosition; // what the log held when this run started: recorded by earlier runs
Console.WriteLine($"Symphainy started: data in {data}; planes {string.Join(", ", host.Services.GetServices<Symphainy.Hosting.PlaneDescriptor>().Select(p => p.Name))}");

// One tenant for the sample; every request is an intent, recorded before it runs.
var tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");
var request = new ReportRequest(SampleFiles.Inline("orders.csv"), SampleFiles.Inline("policy.txt"), Title: "Orders: data quality against the policy");
// The Security Guard authorizes every intent for the caller's principal: here the host itself vouches for the caller
// (a web host authenticates an API key or a bearer token with the Security Guard instead).
using var caller = SymphainyPrincipal.Use(new SymphainyPrincipal("console-sample", tenant, new HashSet<string> { "analyst" }));
var accepted = await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(
    new Intent("outcomes.generate_report", tenant, JsonSerializer.SerializeToElement(request), IdempotencyKey: "sample-orders-report-v1"));
Console.WriteLine(accepted.Duplicate
    ? $"Execution {accepted.Execution} was recorded by an earlier run (same idempotency key): reusing it"
    : $"Accepted as execution {accepted.Execution} at log position {accepted.Position}");

// Progress: the execution's events, read from the log (the ones an earlier run recorded come first).
var engine = host.Services.GetRequiredService<ISagaEngine>();
var steps = 0;
using (var watching = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
{
    await foreach (var e in engine.WatchAsync(tenant, accepted.Execution, 1, watching.Token))
    {
        switch (e.Kind)
        {
            case ExecutionEventKind.StepCompleted or ExecutionEventKind.AgentOutput:
                steps++;
                Console.WriteLine($"  [{steps,2}] {(e.Kind == ExecutionEventKind.AgentOutput ? "agent" : "step "),-5} {e.Step}{(e.Position < earlier ? "   (recorded by an earlier run: replayed, not run again)" : "")}");
                if (steps == crashAfter)
                {
                    Console.WriteLine($"  --crash-after-step {crashAfter}: killing this process now (SIGKILL); run again to resume");
                    Console.Out.Flush();
                    Process.GetCurrentProcess().Kill();
                }

                break;
            case ExecutionEventKind.StepFailed:
                Console.WriteLine($"  step {e.Step} failed (retried per its policy)");
                break;
        }

        if (e.Kind is ExecutionEventKind.SagaCompleted or ExecutionEventKind.SagaFailed or ExecutionEventKind.SagaCancelled)
        {
            break;
        }
    }
}

var ended = await engine.WaitForEndAsync(tenant, accepted.Execution);
if (ended.State != SagaState.Completed)
{
    Console.Error.WriteLine($"The report did not complete: {ended.State} {ended.Error?.Code}: {ended.Error?.Message}");
    await host.StopAsync();
    return 1;
}

var report = ended.GetOutput<GeneratedReport>()!;
var reports = Directory.CreateDirectory(Path.Combine(data, "reports"));
var html = Path.Combine(reports.FullName, $"{accepted.Execution}.html");
await File.WriteAllTextAsync(html, report.Report.Html);
await File.WriteAllTextAsync(Path.ChangeExtension(html, ".md"), report.Report.Markdown);
Console.WriteLine($"{report.Title}: {report.Defects.Count} defects found");
foreach (var defect in report.Defects)
{
    Console.WriteLine($"  - {defect.Kind} at {defect.Reference}: {defect.Description}");
}

Console.WriteLine($"Report: {html} (sha256 {report.Report.HtmlSha256[..16]}…)");

// Lineage: what the state graph (projected from the log into SQLite) knows of the execution.
await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1);
var graph = host.Services.GetRequiredService<IStateGraph>();
Console.WriteLine("Lineage of the report (state graph):");
foreach (var step in await graph.GetLineageAsync(tenant, ExecutionGraph.OutputNode(accepted.Execution)))
{
    Console.WriteLine($"  {new string(' ', 2 * step.Depth)}{step.Via.From} -{step.Via.Relation}-> {step.Via.To} ({step.Node?.Kind})");
}

await host.StopAsync();
return 0;

string? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
