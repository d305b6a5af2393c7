using System.Globalization;
using Symphainy.Wal;

namespace Symphainy.LoadHarness;

/// <summary>
/// Appends/s of the durable (fsync) write-ahead log for each writer count, next to two baselines measured in
/// the same run: a naive log (one write + one fsync per record) and FasterLog 2.6.5 (enqueue + commit awaited
/// per append, commits driven three documented ways; the best of them is the baseline).
/// </summary>
internal sealed class WalScenario : IScenario
{
    private const string Ours = "symphainy-file";
    private const string OursOsBuffered = "symphainy-file-osbuffered";
    private const string Naive = "naive";

    /// <inheritdoc/>
    public string Name => "wal";

    /// <inheritdoc/>
    public string Description => "write-ahead log appends/s with fsync: Symphainy file WAL vs naive fsync-per-record vs FasterLog";

    /// <inheritdoc/>
    public IReadOnlyList<Baseline> Baselines { get; } =
    [
        new(Naive, [Naive]),
        new("fasterlog", FasterLogBaseline.All.Select(f => f.Variant).ToArray()),
    ];

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var rows = new List<ResultRow>();
        var payload = new byte[options.PayloadBytes];
        new Random(1).NextBytes(payload);
        var entry = new WalEntry(WalRecordKind.StepCompleted, new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>(), payload);
        foreach (var writers in options.Writers)
        {
            rows.Add(await RunSymphainyAsync(options, writers, entry, WalDurability.Fsync, Ours));
            rows.Add(await RunSymphainyAsync(options, writers, entry, WalDurability.OsBuffered, OursOsBuffered));
            rows.Add(await RunNaiveAsync(options, writers, payload));
            foreach (var faster in FasterLogBaseline.All)
            {
                rows.Add(await faster.RunAsync(Name, options, writers, payload));
            }

            foreach (var row in rows.Where(r => r.Concurrency == writers))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {row.Variant,-26} writers={writers,-4} {row.OpsPerSecond,12:N0} ops/s"));
            }
        }

        return rows;
    }

    /// <inheritdoc/>
    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var naive = Baselines[0];
        var faster = Baselines[1];
        foreach (var ours in rows.Where(r => r.Variant == Ours))
        {
            var bestFaster = faster.Best(rows, ours.Concurrency);
            yield return string.Create(CultureInfo.InvariantCulture,
                $"writers={ours.Concurrency}: {Ours}/naive = {naive.Ratio(rows, ours):F1}x, {Ours}/fasterlog = {faster.Ratio(rows, ours):F2}x (best fasterlog: {bestFaster?.Variant})");
        }

        var at256 = rows.SingleOrDefault(r => r.Variant == Ours && r.Concurrency == 256);
        yield return Goal("256 writers: >= 40x naive", at256 is null ? null : naive.Ratio(rows, at256), 40.0, "F1");
        yield return Goal("256 writers: >= 1.0x fasterlog", at256 is null ? null : faster.Ratio(rows, at256), 1.0, "F2");
        yield return $"fasterlog device: {FasterLogBaseline.DeviceType ?? "not run"}; segment and commit files opened O_SYNC (write-through)";
        foreach (var variant in FasterLogBaseline.All)
        {
            yield return $"  {variant.Variant}: {variant.Description}";
        }
    }

    private static string Goal(string goal, double? ratio, double target, string format) =>
        ratio is not { } r
            ? $"{goal,-32} not measured (needs 256 in --writers)"
            : $"{goal,-32} {(r >= target ? "PASS" : "MISS")} ({r.ToString(format, CultureInfo.InvariantCulture)}x)";

    private async Task<ResultRow> RunSymphainyAsync(HarnessOptions options, int writers, WalEntry entry, WalDurability durability, string variant)
    {
        var directory = WorkDirectory.Fresh(options, "symphainy");
        try
        {
            await using var log = new FileWriteAheadLog(directory, new WalOptions { Durability = durability }, TimeProvider.System);
            return await Measurement.RunAsync(Name, variant, writers, options.Warmup, options.Duration, () => log.AppendAsync(entry));
        }
        finally
        {
            WorkDirectory.Delete(directory);
        }
    }

    private async Task<ResultRow> RunNaiveAsync(HarnessOptions options, int writers, byte[] payload)
    {
        var directory = WorkDirectory.Fresh(options, "naive");
        try
        {
            using var naive = new NaiveLog(Path.Combine(directory, "naive.log"));
            return await Measurement.RunAsync(Name, Naive, writers, options.Warmup, options.Duration, () => naive.AppendAsync(payload));
        }
        finally
        {
            WorkDirectory.Delete(directory);
        }
    }
}
