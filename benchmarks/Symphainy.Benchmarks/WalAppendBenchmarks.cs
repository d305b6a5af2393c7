using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using Symphainy.Wal;

namespace Symphainy.Benchmarks;

/// <summary>
/// One invocation appends <see cref="Appends"/> records from <see cref="Writers"/> concurrent writers.
/// The baseline is the naive log: one write and one fsync per record, under a lock.
/// </summary>
public class WalAppendBenchmarks
{
    private const int Appends = 4096;
    private readonly byte[] _payload = new byte[128];
    private string _directory = "";
    private FileWriteAheadLog? _log;
    private SafeFileHandle? _naive;
    private long _naiveLength;
    private WalEntry _entry;

    [Params(1, 16, 256)]
    public int Writers { get; set; }

    [Params(WalDurability.Fsync, WalDurability.OsBuffered)]
    public WalDurability Durability { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("symphainy-bench-").FullName;
        _log = new FileWriteAheadLog(Path.Combine(_directory, "wal"), new WalOptions { Durability = Durability }, TimeProvider.System);
        _naive = File.OpenHandle(Path.Combine(_directory, "naive.log"), FileMode.Create, FileAccess.ReadWrite);
        _entry = new WalEntry(WalRecordKind.StepCompleted, new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>(), _payload);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _log!.DisposeAsync();
        _naive!.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Appends)]
    public Task NaiveFsyncPerRecord() => RunAsync(() =>
    {
        var record = new byte[8 + _payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, _payload.Length);
        _payload.CopyTo(record.AsSpan(8));
        lock (_naive!)
        {
            RandomAccess.Write(_naive, record, _naiveLength);
            if (Durability == WalDurability.Fsync)
            {
                RandomAccess.FlushToDisk(_naive);
            }

            _naiveLength += record.Length;
        }

        return ValueTask.CompletedTask;
    });

    [Benchmark(OperationsPerInvoke = Appends)]
    public Task FileWriteAheadLogGroupCommit() => RunAsync(async () => await _log!.AppendAsync(_entry));

    private Task RunAsync(Func<ValueTask> append) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < Appends / Writers; i++)
            {
                await append();
            }
        })));
}
