using System.Globalization;
using FASTER.core;
using Symphainy.Wal;

namespace Symphainy.LoadHarness;

/// <summary>
/// Appends/s of the durable (fsync) write-ahead log for 1, 16 and 256 concurrent writers, next to two
/// baselines measured in the same run: a naive one (one write + one fsync per record) and FasterLog
/// (enqueue + commit awaited per append).
/// </summary>
internal sealed class WalScenario : IScenario
{
    public string Name => "wal";

    public string Description => "write-ahead log appends/s with fsync: Symphainy file WAL vs naive fsync-per-record vs FasterLog";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var rows = new List<ResultRow>();
        var payload = new byte[options.PayloadBytes];
        new Random(1).NextBytes(payload);
        var tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
        foreach (var writers in options.Writers)
        {
            foreach (var durability in new[] { WalDurability.Fsync, WalDurability.OsBuffered })
            {
                var directory = Fresh(options, "symphainy");
                await using (var log = new FileWriteAheadLog(directory, new WalOptions { Durability = durability }, TimeProvider.System))
                {
                    var entry = new WalEntry(WalRecordKind.StepCompleted, tenant, payload);
                    rows.Add(await Measurement.RunAsync(Name, durability == WalDurability.Fsync ? "symphainy-file" : "symphainy-file-osbuffered",
                        writers, options.Warmup, options.Duration, async _ => await log.AppendAsync(entry)));
                }

                Directory.Delete(directory, recursive: true);
            }

            var naiveDirectory = Fresh(options, "naive");
            using (var naive = new NaiveFsyncLog(Path.Combine(naiveDirectory, "naive.log")))
            {
                rows.Add(await Measurement.RunAsync(Name, "naive", writers, options.Warmup, options.Duration, _ => naive.AppendAsync(payload)));
            }

            Directory.Delete(naiveDirectory, recursive: true);
            rows.Add(await RunFasterLogAsync(options, writers, payload, autoCommit: true));
            rows.Add(await RunFasterLogAsync(options, writers, payload, autoCommit: false));
            foreach (var row in rows.Where(r => r.Concurrency == writers))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  measured {row.Variant,-26} writers={writers,-4} {row.OpsPerSecond,12:N0} ops/s"));
            }
        }

        return rows;
    }

    /// <summary>
    /// FasterLog two ways: <c>AutoCommit</c> (FASTER commits after each enqueue) and a group-commit loop that
    /// calls <c>CommitAsync</c> back to back while appenders wait for their commit, so the baseline gets the
    /// same batching our log does. The better of the two is the baseline for the goal.
    /// </summary>
    private async Task<ResultRow> RunFasterLogAsync(HarnessOptions options, int writers, byte[] payload, bool autoCommit)
    {
        var directory = Fresh(options, "fasterlog");
        // On Linux, Devices.CreateLogDevice gives a ManagedLocalStorageDevice; with file buffering disabled
        // (the default, disableFileBuffering: true) it opens the segment files write-through (O_DSYNC), so a
        // completed commit is on stable storage, as our Fsync durability is. The single-writer latency in the
        // table (hundreds of microseconds, like an fsync, not a few microseconds) confirms it.
        ResultRow row;
        using (var device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: false))
        using (var settings = new FasterLogSettings { LogDevice = device, LogCommitDir = Path.Combine(directory, "commits"), AutoCommit = autoCommit })
        using (var log = new FasterLog(settings))
        {
            using var stop = new CancellationTokenSource();
            var committer = autoCommit ? Task.CompletedTask : Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await log.CommitAsync(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            });
            var memory = payload.AsMemory();
            row = await Measurement.RunAsync(Name, autoCommit ? "fasterlog-autocommit" : "fasterlog-commitloop", writers, options.Warmup, options.Duration,
                async _ => await log.EnqueueAndWaitForCommitAsync(memory));
            await stop.CancelAsync();
            await committer;
        }

        Directory.Delete(directory, recursive: true);
        return row;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        foreach (var group in rows.GroupBy(r => r.Concurrency))
        {
            var ours = group.Single(r => r.Variant == "symphainy-file").OpsPerSecond;
            var naive = group.Single(r => r.Variant == "naive").OpsPerSecond;
            var faster = group.Where(r => r.Variant.StartsWith("fasterlog", StringComparison.Ordinal)).Max(r => r.OpsPerSecond);
            yield return string.Create(CultureInfo.InvariantCulture, $"writers={group.Key}: symphainy/naive = {ours / naive:F1}x, symphainy/best fasterlog = {ours / faster:F2}x");
            if (group.Key == 256)
            {
                yield return $"goal 256 writers >= 40x naive:       {Verdict(ours / naive >= 40)} ({(ours / naive).ToString("F1", CultureInfo.InvariantCulture)}x)";
                yield return $"goal 256 writers >= 1.0x fasterlog:  {Verdict(ours / faster >= 1.0)} ({(ours / faster).ToString("F2", CultureInfo.InvariantCulture)}x)";
            }
        }
    }

    private static string Verdict(bool met) => met ? "PASS" : "MISS";

    private static string Fresh(HarnessOptions options, string name)
    {
        var directory = Path.Combine(options.WorkDirectory, $"{name}-{Environment.ProcessId}-{Environment.TickCount64}");
        Directory.CreateDirectory(directory);
        return directory;
    }
}
