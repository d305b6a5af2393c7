using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Reliability.Workload;

/// <summary>The hosts the child runs, and its submitters.</summary>
public static class WorkloadHost
{
    /// <summary>The tenant of the file workload.</summary>
    public static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f71");

    private static readonly StreamWriter Output = new(Console.OpenStandardOutput()) { AutoFlush = true };
    private static readonly Lock Gate = new();

    public static void Say(string line)
    {
        lock (Gate)
        {
            Output.WriteLine(line);
        }
    }

    /// <summary>The embedded host: file log (64 KiB segments, so they roll often), SQLite graph, agents, the mixed sagas.</summary>
    public static async Task<IHost> StartFileHostAsync(string dataDirectory, long segmentBytes = 65536)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:DataDirectory"] = dataDirectory,
            ["Symphainy:Wal:SegmentSizeBytes"] = segmentBytes.ToString(CultureInfo.InvariantCulture),
        });
        Log(builder);
        builder.Services.AddSingleton<IWalRetentionHold>(new KeepEverything()); // the tests read the whole log
        builder.Services.AddSymphainy(symphainy => symphainy.AddMixedSagas());
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task RunFileAsync(string dataDirectory, int run, int seed, int pauseMs, bool largePayloads)
    {
        // Filling the disk: large segments, so that a limit on the size of one file (ulimit -f) is reached by the log too.
        using var host = await StartFileHostAsync(dataDirectory, largePayloads ? 64L * 1024 * 1024 : 65536);
        Say("READY");
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        await SubmitForeverAsync(intake, Tenant, $"r{run}", seed, pauseMs, largePayloads, workers: largePayloads ? 8 : 4);
    }

    /// <summary>Recovers, waits until no saga is unfinished and the graph holds the whole log, and stops cleanly.</summary>
    public static async Task<int> FinishAsync(string dataDirectory)
    {
        using var host = await StartFileHostAsync(dataDirectory);
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (engine.ListActive().Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                foreach (var stuck in engine.ListActive())
                {
                    Say($"STUCK {stuck.Id} {stuck.Definition} {stuck.State} {stuck.Error?.Code}");
                }

                return 3;
            }

            await Task.Delay(50);
        }

        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromMinutes(1));
        await host.StopAsync();
        Say($"DONE {wal.NextPosition - 1}");
        return 0;
    }

    public static async Task RunRedisAsync(string connection, string prefix, string name, TenantId tenant, int seed, int pauseMs, bool submit)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Redis:ConnectionString"] = connection,
            ["Symphainy:Redis:KeyPrefix"] = prefix,
            ["Symphainy:Sagas:LeaseDuration"] = "00:00:02",
            ["Symphainy:InstanceName"] = name,
        });
        Log(builder);
        new SymphainyBuilder(builder.Services).AddMixedSagas().UseRedis();
        using var host = builder.Build();
        await host.StartAsync();
        Say("READY");
        if (submit)
        {
            await SubmitForeverAsync(host.Services.GetRequiredService<IIntentIntake>(), tenant, name, seed, pauseMs, largePayloads: false, workers: 4);
        }

        await Task.Delay(Timeout.InfiniteTimeSpan); // runs the sagas it holds or takes over until killed
    }

    private static async Task SubmitForeverAsync(IIntentIntake intake, TenantId tenant, string prefix, int seed, int pauseMs, bool largePayloads, int workers)
    {
        var filler = largePayloads ? new string('x', 16 * 1024) : null;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(seed * 31 + worker);
            for (var n = 0; ; n++)
            {
                // The type follows from the key, so a key resubmitted by a later process names the same work.
                var type = largePayloads ? MixedSagas.Plain : MixedSagas.Types[(worker + (n * 5)) % MixedSagas.Types.Length];
                var key = string.Create(CultureInfo.InvariantCulture, $"{prefix}-w{worker}-n{n}");
                try
                {
                    var input = filler is null ? new WorkInput(key) : new WorkInput(key + filler);
                    var accepted = await intake.SubmitAsync(new Intent(type, tenant, JsonSerializer.SerializeToElement(input), IdempotencyKey: key));
                    Say($"ACK {accepted.Execution} {type} {accepted.Position}");
                    if (type == MixedSagas.Signal && n % 2 == 0)
                    {
                        _ = SignalLaterAsync(intake, tenant, accepted.Execution);
                    }
                }
                catch (SymphainyException e)
                {
                    Say($"ERR {e.Code} {(e.IsRetryable ? "retryable" : "final")}");
                    await Task.Delay(20);
                }
                catch (Exception e)
                {
                    Say($"UNTYPED {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    await Task.Delay(20);
                }

                if (pauseMs > 0)
                {
                    await Task.Delay(random.Next(pauseMs / 2, pauseMs + 1));
                }
            }
        })));
    }

    private static async Task SignalLaterAsync(IIntentIntake intake, TenantId tenant, SagaId saga)
    {
        try
        {
            await Task.Delay(20);
            await intake.SubmitAsync(new Intent(BuiltInIntents.Signal, tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.ToString(), name = "go", value = "signalled" })));
        }
        catch (SymphainyException)
        {
            // The wait may have timed out and the saga ended: the signal has nobody to reach, which is allowed.
        }
    }

    private static void Log(HostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    private sealed class KeepEverything : IWalRetentionHold
    {
        public long RetainFrom => 1;
    }
}
