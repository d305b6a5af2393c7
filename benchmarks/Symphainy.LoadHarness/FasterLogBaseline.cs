using FASTER.core;

namespace Symphainy.LoadHarness;

/// <summary>
/// The FasterLog 2.6.5 baseline: every append is <c>EnqueueAndWaitForCommitAsync</c>, which enqueues and
/// waits for a commit that covers the entry but does not itself commit. Commits are driven the ways FASTER
/// documents (FasterLogSettings XML docs, docs/fasterlog-basics, samples/FasterLogSample).
/// </summary>
internal sealed class FasterLogBaseline
{
    private FasterLogBaseline(string variant, string description, Action<FasterLogSettings> configure, TimeSpan? commitInterval)
    {
        Variant = variant;
        Description = description;
        Configure = configure;
        CommitInterval = commitInterval;
    }

    /// <summary>
    /// <c>AutoCommit = true</c>: FasterLog issues a commit as records are inserted; concurrent commits
    /// coalesce. The commit metadata goes to a new file under the commit directory per commit.
    /// </summary>
    public static FasterLogBaseline AutoCommit { get; } = new(
        "fasterlog-autocommit", "AutoCommit", s => s.AutoCommit = true, commitInterval: null);

    /// <summary>
    /// <c>AutoCommit</c> plus <c>FastCommitMode</c> (which needs per-entry checksums): the commit record is
    /// written into the log itself, which FASTER documents as the lower-latency commit path.
    /// </summary>
    public static FasterLogBaseline FastCommit { get; } = new(
        "fasterlog-fastcommit", "AutoCommit + FastCommitMode + LogChecksum.PerEntry",
        s =>
        {
            s.AutoCommit = true;
            s.FastCommitMode = true;
            s.LogChecksum = LogChecksumType.PerEntry;
        },
        commitInterval: null);

    /// <summary>The FasterLogSample pattern: a commit thread calling <c>Commit(spinWait: true)</c> every 5 ms.</summary>
    public static FasterLogBaseline PeriodicCommit { get; } = new(
        "fasterlog-commit-5ms", "commit thread: Sleep(5 ms); Commit(spinWait: true)", _ => { }, TimeSpan.FromMilliseconds(5));

    /// <summary>Every way of driving commits, each measured as a variant; the best is the baseline.</summary>
    public static IReadOnlyList<FasterLogBaseline> All { get; } = [AutoCommit, FastCommit, PeriodicCommit];

    /// <summary>The variant name in the table.</summary>
    public string Variant { get; }

    /// <summary>How commits are driven, for the notes under the table.</summary>
    public string Description { get; }

    private Action<FasterLogSettings> Configure { get; }

    private TimeSpan? CommitInterval { get; }

    /// <summary>The device type <see cref="Devices.CreateLogDevice"/> returned on the last run, for the notes.</summary>
    public static string? DeviceType { get; private set; }

    /// <summary>Measures this variant at <paramref name="writers"/> concurrent appenders in a fresh directory.</summary>
    public async Task<ResultRow> RunAsync(string scenario, HarnessOptions options, int writers, ReadOnlyMemory<byte> payload)
    {
        var directory = WorkDirectory.Fresh(options, "fasterlog");
        try
        {
            // Durability: on Linux Devices.CreateLogDevice returns a ManagedLocalStorageDevice, which never calls
            // fsync; with disableFileBuffering: true (the default, passed explicitly so it cannot change under us)
            // it opens segment files with FileOptions.WriteThrough, i.e. O_SYNC, so each write returns only once
            // the data is on stable storage, and the commit metadata files are opened O_SYNC too. Checked with
            // strace: openat(".../hlog.log.0", O_WRONLY|O_CREAT|O_SYNC|O_CLOEXEC). With disableFileBuffering:
            // false a completed commit would only be in the page cache, which would flatter FasterLog.
            using var device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), preallocateFile: false, deleteOnClose: false, disableFileBuffering: true);
            DeviceType = device.GetType().Name;
            using var settings = new FasterLogSettings { LogDevice = device, LogCommitDir = Path.Combine(directory, "commits") };
            Configure(settings);
            using var log = new FasterLog(settings);
            using var committer = CommitInterval is { } interval ? new PeriodicCommitter(log, interval) : null;
            return await Measurement.RunAsync(scenario, Variant, writers, options.Warmup, options.Duration,
                () => log.EnqueueAndWaitForCommitAsync(payload));
        }
        finally
        {
            WorkDirectory.Delete(directory);
        }
    }

    /// <summary>A dedicated thread that commits the log at a fixed interval until disposed.</summary>
    private sealed class PeriodicCommitter : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public PeriodicCommitter(FasterLog log, TimeSpan interval)
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    Thread.Sleep(interval);
                    log.Commit(spinWait: true);
                }
            })
            { IsBackground = true, Name = "fasterlog-commit" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
