using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.LoadHarness;

/// <summary>
/// Recovery at scale: a durable log of about <c>--records</c> records (default 1,000,000) in which 10,000 sagas
/// are unfinished (started, one of three steps recorded). Measures reading the whole log, and a host start:
/// the engine's replay of the log until it accepts work, and until every unfinished saga has completed.
/// Baseline: reading the segment files' bytes with no decoding.
/// </summary>
internal sealed class RecoveryScenario : IScenario
{
    private const int Unfinished = 10_000;

    public string Name => "recovery";

    public string Description => "replay a 1M-record log and resume 10k unfinished sagas";

    public IReadOnlyList<Baseline> Baselines { get; } = [new("raw-bytes", ["read-raw-bytes"])];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var directory = WorkDirectory.Fresh(options, "recovery");
        var walDirectory = Path.Combine(directory, "wal");
        var records = await WriteLogAsync(walDirectory, options.Records);
        var rows = new List<ResultRow>();

        var clock = Stopwatch.StartNew();
        long bytes = 0;
        foreach (var file in Directory.GetFiles(walDirectory, "*.wal"))
        {
            bytes += (await File.ReadAllBytesAsync(file)).Length;
        }

        rows.Add(Row("read-raw-bytes", records, clock.Elapsed));
        clock.Restart();
        await using (var log = new FileWriteAheadLog(walDirectory, new WalOptions(), TimeProvider.System))
        {
            long read = 0;
            await foreach (var _ in log.ReadAsync(1))
            {
                read++;
            }

            rows.Add(Row("read-decoded-records", read, clock.Elapsed));
        }

        clock.Restart();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:DataDirectory"] = directory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<SagaScenario.TrivialWork>();
        new SymphainyBuilder(builder.Services).AddRuntime().AddCapability<SagaScenario.ThreeSteps>("bench.three_steps", "bench", "three trivial steps");
        using var host = builder.Build();
        await host.StartAsync();
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        rows.Add(Row("engine-replay-until-ready", records, clock.Elapsed)); // StartAsync returns once recovery is done
        await engine.WhenIdleAsync();

        rows.Add(Row("engine-replay-and-resume-10k", records, clock.Elapsed));
        await host.StopAsync();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  log: {records:N0} records, {bytes / 1e6:F0} MB"));
        WorkDirectory.Delete(directory);
        return rows;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var decoded = rows.Single(r => r.Variant == "read-decoded-records");
        var ready = rows.Single(r => r.Variant == "engine-replay-until-ready");
        var resumed = rows.Single(r => r.Variant == "engine-replay-and-resume-10k");
        double Seconds(ResultRow row) => row.Operations / row.OpsPerSecond;
        yield return string.Create(CultureInfo.InvariantCulture, $"goal {decoded.Operations:N0}-record log read in < 1 s:   {(Seconds(decoded) < 1 ? "PASS" : "MISS")} ({Seconds(decoded):F2} s)");
        yield return string.Create(CultureInfo.InvariantCulture, $"engine replay until it accepts work:   {Seconds(ready):F2} s; all {Unfinished:N0} unfinished sagas completed after {Seconds(resumed):F2} s");
    }

    private static ResultRow Row(string variant, long records, TimeSpan elapsed) =>
        new("recovery", variant, 1, records, records / elapsed.TotalSeconds, 0, 0, 0, 0);

    /// <summary>Completed 3-step sagas (6 records each) up to the size asked for, then 10,000 unfinished ones (3 records each).</summary>
    private static async Task<long> WriteLogAsync(string directory, int target)
    {
        var ids = new IdGenerator(TimeProvider.System, new SeededRandomSource(3));
        var tenant = ids.Next<TenantId>();
        var completed = Math.Max(0, (target - (Unfinished * 3)) / 6);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  writing {completed:N0} completed and {Unfinished:N0} unfinished sagas..."));
        await using var log = new FileWriteAheadLog(directory, new WalOptions { Durability = WalDurability.OsBuffered }, TimeProvider.System);
        var pending = new List<Task>(4096);
        for (var i = 0; i < completed + Unfinished; i++)
        {
            var done = i < completed;
            pending.Add(WriteSagaAsync(log, tenant, ids.Next<IntentId>(), ids.Next<SagaId>(), i, done));
            if (pending.Count == 4096)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return log.NextPosition - 1;
    }

    private static async Task WriteSagaAsync(FileWriteAheadLog log, TenantId tenant, IntentId intent, SagaId saga, int n, bool done)
    {
        WalEntry Entry(WalPayload payload) => new(payload.Kind, tenant, WalPayloadCodec.Encode(payload), Saga: saga, Intent: intent);
        var value = JsonSerializer.SerializeToUtf8Bytes($"s{n}");
        await log.AppendAsync(Entry(new IntentReceivedPayload("bench.three_steps", "bench.three_steps", 1, JsonSerializer.SerializeToUtf8Bytes(new { value = $"s{n}" }))));
        await log.AppendAsync(Entry(new SagaStartedPayload("bench.three_steps", 1)));
        await log.AppendAsync(Entry(new StepCompletedPayload(0, "one", StepKind.Step, value)));
        if (done)
        {
            await log.AppendAsync(Entry(new StepCompletedPayload(1, "two", StepKind.Step, value)));
            await log.AppendAsync(Entry(new StepCompletedPayload(2, "three", StepKind.Step, value)));
            await log.AppendAsync(Entry(new SagaEndedPayload(SagaState.Completed, "bench.three_steps", 1, value)));
        }
    }
}
