// QuickStart: a host with Symphainy on the embedded defaults (file write-ahead log under ./symphainy-data).
// It registers one saga, submits an intent, prints the execution events as they happen, and exits.
// Run it with: dotnet run --project samples/QuickStart  (run it twice: the log keeps every run)
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using QuickStart;
using Symphainy;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSymphainyJsonConsole();
// JSON log lines go to stderr here so they never interleave with what the sample prints on stdout.
builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.AddSingleton<Greeter>();
builder.Services.AddSymphainy(symphainy => symphainy.AddCapability<WelcomeSaga>("demo.welcome", "demo", "Greets a visitor in three recorded steps."));

using var host = builder.Build();
await host.StartAsync();

Console.WriteLine("Registered planes:");
foreach (var plane in host.Services.GetServices<PlaneDescriptor>())
{
    Console.WriteLine($"  {plane.Name,-12} {plane.Assembly} {plane.Version}: {plane.Summary}");
}

var wal = host.Services.GetRequiredService<IWriteAheadLog>();
Console.WriteLine($"Write-ahead log: {wal.GetType().Name}, next position {wal.NextPosition}");

// Every request is an intent: validated, recorded, acknowledged, then run as a saga.
var tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");
var intake = host.Services.GetRequiredService<IIntentIntake>();
var accepted = await intake.SubmitAsync(new Intent("demo.welcome", tenant, JsonSerializer.SerializeToElement(new { name = "Ada" })));
Console.WriteLine($"Accepted intent {accepted.Intent} as execution {accepted.Execution} at log position {accepted.Position}");

// Follow the execution from its first record; the stream is durable and resumable from any position.
var engine = host.Services.GetRequiredService<ISagaEngine>();
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
await foreach (var e in engine.WatchAsync(tenant, accepted.Execution, accepted.Position, timeout.Token))
{
    Console.WriteLine($"  #{e.Position,-6} {e.Kind,-15} {e.Step}");
    if (e.Kind is Symphainy.Events.ExecutionEventKind.SagaCompleted or Symphainy.Events.ExecutionEventKind.SagaFailed)
    {
        break;
    }
}

var end = await engine.WaitForEndAsync(tenant, accepted.Execution);
Console.WriteLine($"Saga {end.State}: {end.Output}");

await host.StopAsync();
return end.State == SagaState.Completed ? 0 : 1;

namespace QuickStart
{
    /// <summary>The saga's input.</summary>
    public sealed record WelcomeInput(string Name);

    /// <summary>A stateless, deterministic service: input to output.</summary>
    public sealed class Greeter
    {
        public string Normalize(string name) => name.Trim();

        public string Greet(string name) => $"Welcome, {name}!";

        public int Count(string text) => text.Length;
    }

    /// <summary>Three recorded steps; after a crash the saga resumes after the last one recorded.</summary>
    public sealed class WelcomeSaga : Orchestrator<WelcomeInput, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, WelcomeInput input)
        {
            var name = await saga.Step("normalize", (Greeter g) => g.Normalize(input.Name));
            var greeting = await saga.Step("greet", (Greeter g) => g.Greet(name));
            var length = await saga.Step("measure", (Greeter g) => g.Count(greeting));
            return $"{greeting} ({length} characters)";
        }
    }
}
