using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.CrashHost;

/// <summary>
/// Submits multi-step sagas (plain, with a timer, waiting for a signal) as fast as it can on the durable file log
/// and prints <c>ACK {sagaId} {type}</c> for every acknowledged intent, until it is killed.
/// </summary>
public static class SagaWorkload
{
    public const string Plain = "crash.plain";
    public const string Timer = "crash.timer";
    public const string Signal = "crash.signal";

    public static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");

    /// <summary>The host the child runs and the test verifies with: same sagas, same data directory.</summary>
    public static async Task<IHost> StartHostAsync(string dataDirectory)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:DataDirectory"] = dataDirectory,
            ["Symphainy:Sagas:EndedSagasKept"] = "1000000", // the test asks about every saga of every run
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Counter>();
        new SymphainyBuilder(builder.Services).AddRuntime()
            .AddCapability<PlainSaga>(Plain, "crash", "plain steps")
            .AddCapability<TimerSaga>(Timer, "crash", "a durable timer")
            .AddCapability<SignalSaga>(Signal, "crash", "waits for a signal");
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task RunAsync(string dataDirectory, int run)
    {
        using var host = await StartHostAsync(dataDirectory);
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var gate = new Lock();
        lock (gate)
        {
            output.WriteLine("READY");
        }

        string[] types = [Plain, Timer, Signal];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                var type = types[(worker + n) % types.Length];
                var key = string.Create(CultureInfo.InvariantCulture, $"r{run}-w{worker}-n{n}");
                var accepted = await intake.SubmitAsync(new Intent(type, Tenant, JsonSerializer.SerializeToElement(new CrashInput(key)), IdempotencyKey: key));
                lock (gate)
                {
                    output.WriteLine($"ACK {accepted.Execution} {type}");
                }

                if (type == Signal)
                {
                    _ = SignalLaterAsync(intake, accepted.Execution);
                }
            }
        })));
    }

    private static async Task SignalLaterAsync(IIntentIntake intake, SagaId saga)
    {
        await Task.Delay(20);
        await intake.SubmitAsync(new Intent(BuiltInIntents.Signal, Tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.ToString(), name = "go", value = "signalled" })));
    }

    public sealed record CrashInput(string Key);

    /// <summary>Trivial deterministic work for the steps.</summary>
    public sealed class Counter
    {
        public string Work(string key, int step) => $"{key}:{step}";
    }

    public sealed class PlainSaga : Orchestrator<CrashInput, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, CrashInput input)
        {
            var a = await saga.Step("one", (Counter c) => c.Work(input.Key, 1));
            var b = await saga.Step("two", (Counter c) => c.Work(a, 2));
            return await saga.Step("three", (Counter c) => c.Work(b, 3));
        }
    }

    public sealed class TimerSaga : Orchestrator<CrashInput, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, CrashInput input)
        {
            var a = await saga.Step("one", (Counter c) => c.Work(input.Key, 1));
            await saga.Delay("pause", TimeSpan.FromMilliseconds(150));
            return await saga.Step("two", (Counter c) => c.Work(a, 2));
        }
    }

    public sealed class SignalSaga : Orchestrator<CrashInput, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, CrashInput input)
        {
            var a = await saga.Step("one", (Counter c) => c.Work(input.Key, 1));
            var value = await saga.WaitForSignal<string>("go");
            return await saga.Step("two", (Counter c) => c.Work(a + value, 2));
        }
    }
}
