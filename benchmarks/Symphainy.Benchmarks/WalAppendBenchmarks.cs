using BenchmarkDotNet.Attributes;
using Symphainy.LoadHarness;
using Symphainy.Wal;

namespace Symphainy.Benchmarks;

/// <summary>
/// One invocation appends <see cref="Appends"/> records of 128 bytes from <see cref="Writers"/> concurrent
/// writers, each awaiting its appends back to back; results are per append. The baseline is the naive log:
/// under a lock, one write per record plus, with <see cref="WalDurability.Fsync"/>, one fsync per record.
/// </summary>
[MemoryDiagnoser]
public class WalAppendBenchmarks
{
    private const int Appends = 4096;
    private readonly byte[] _payload = new byte[128];
    private string _directory = "";
    private FileWriteAheadLog? _log;
    private NaiveLog? _naive;
    private WalEntry _entry;

    /// <summary>Concurrent writers.</summary>
    [Params(1, 16, 256)]
    public int Writers { get; set; }

    /// <summary>When an append counts as done, for both logs.</summary>
    [Params(WalDurability.Fsync, WalDurability.OsBuffered)]
    public WalDurability Durability { get; set; }

    /// <summary>Opens both logs in a fresh temp directory.</summary>
    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_payload);
        _directory = Directory.CreateTempSubdirectory("symphainy-bench-").FullName;
        _log = new FileWriteAheadLog(Path.Combine(_directory, "wal"), new WalOptions { Durability = Durability }, TimeProvider.System);
        _naive = new NaiveLog(Path.Combine(_directory, "naive.log"), fsync: Durability == WalDurability.Fsync);
        _entry = new WalEntry(WalRecordKind.StepCompleted, new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>(), _payload);
    }

    /// <summary>Closes both logs and deletes the directory.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _log!.DisposeAsync();
        _naive!.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The naive log: one write (+ one fsync) per record, under a lock.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Appends)]
    public Task Naive() => RunAsync(() => _naive!.AppendAsync(_payload));

    /// <summary>The Symphainy file write-ahead log with group commit.</summary>
    [Benchmark(OperationsPerInvoke = Appends)]
    public Task SymphainyFileWal() => RunAsync(() => _log!.AppendAsync(_entry));

    private Task RunAsync(Func<ValueTask<long>> append)
    {
        var writers = new Task[Writers];
        var perWriter = Appends / Writers;
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = Task.Run(async () =>
            {
                for (var n = 0; n < perWriter; n++)
                {
                    await append();
                }
            });
        }

        return Task.WhenAll(writers);
    }
}
