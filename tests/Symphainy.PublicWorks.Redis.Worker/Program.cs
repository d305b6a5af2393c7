// A host process for the multi-process Redis tests: it runs the platform on a shared Redis server, submits its share
// of sagas (printing "ACK <saga>" once each intent is acknowledged) and prints "DONE" once all of them ended; with a
// count of 0 it only runs the sagas it is handed (its own, dispatched ones and those it takes over). With "intake" last
// it runs no sagas at all: the ones it accepts are queued for the others. The tests kill it with SIGKILL at will.
// Usage: Symphainy.PublicWorks.Redis.Worker <connection> <key-prefix> <name> <count> <tenant> [intake]
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.PublicWorks.Redis.Worker;

if (args.Length is not (5 or 6))
{
    await Console.Error.WriteLineAsync("usage: Symphainy.PublicWorks.Redis.Worker <connection> <key-prefix> <name> <count> <tenant> [intake]");
    return 2;
}

var (connection, prefix, name, count, tenant) = (args[0], args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), TenantId.Parse(args[4]));
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Symphainy:Redis:ConnectionString"] = connection,
    ["Symphainy:Redis:KeyPrefix"] = prefix,
    ["Symphainy:Sagas:LeaseDuration"] = "00:00:02",
    ["Symphainy:InstanceName"] = name,
    ["Symphainy:Sagas:Execute"] = args.Length == 6 && args[5] == "intake" ? "false" : "true",
});
builder.Logging.ClearProviders();
new SymphainyBuilder(builder.Services).AddCapability<SlowSteps>("tests.slow", "tests", "three steps of 20 ms").UseRedis();
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("UP");

var intake = host.Services.GetRequiredService<IIntentIntake>();
var engine = host.Services.GetRequiredService<ISagaEngine>();
var output = TextWriter.Synchronized(Console.Out);
var sagas = new System.Collections.Concurrent.ConcurrentBag<SagaId>();
await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellationToken) =>
{
    var accepted = await intake.SubmitAsync(new Intent("tests.slow", tenant, JsonSerializer.SerializeToElement(new Work(i)), IdempotencyKey: $"{name}-{i}"), cancellationToken);
    sagas.Add(accepted.Execution);
    await output.WriteLineAsync($"ACK {accepted.Execution}");
    await output.FlushAsync(cancellationToken);
});

foreach (var saga in sagas)
{
    await engine.WaitForEndAsync(tenant, saga);
}

if (count > 0)
{
    Console.WriteLine("DONE");
}

// Keep running (running the sagas it is handed) until killed.
await Task.Delay(Timeout.InfiniteTimeSpan);
return 0;

namespace Symphainy.PublicWorks.Redis.Worker
{
    public sealed record Work(int Value);

    /// <summary>Three steps that take a moment each, so a kill lands mid-saga.</summary>
    public sealed class SlowSteps : Orchestrator<Work, int>
    {
        public override async Task<int> RunAsync(SagaContext saga, Work input)
        {
            var a = await saga.Step("one", async ct => { await Task.Delay(20, ct); return input.Value; });
            var b = await saga.Step("two", async ct => { await Task.Delay(20, ct); return a + 1; });
            return await saga.Step("three", async ct => { await Task.Delay(20, ct); return b + 1; });
        }
    }
}
