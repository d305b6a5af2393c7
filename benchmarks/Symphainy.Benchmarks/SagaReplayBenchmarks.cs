using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Benchmarks;

/// <summary>
/// The cost of recovery: a log holding <see cref="Sagas"/> unfinished <see cref="ThreeStepSaga"/> histories
/// (IntentReceived, SagaStarted and the first two StepCompleted records each, interleaved as concurrent sagas
/// write them), and a host built over it and started until every saga has completed (replay, resume, run the
/// third step, end); vs the baseline of reading the same records with <see cref="IWriteAheadLog.ReadAsync"/>.
/// Resumed sagas append to the log, so each iteration gets a fresh copy (<see cref="IterationSetupAttribute"/>:
/// one invocation per iteration); the host is stopped after the iteration, outside the measurement.
/// </summary>
[MemoryDiagnoser]
public class SagaReplayBenchmarks
{
    private readonly List<WalEntry> _entries = [];
    private SagaId[] _sagas = [];
    private TenantId _tenant;
    private InMemoryWriteAheadLog? _log;
    private IHost? _host;

    /// <summary>Unfinished sagas in the log.</summary>
    [Params(1_000)]
    public int Sagas { get; set; }

    /// <summary>Writes the histories as the engine would: typed payloads through the log's codec.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var ids = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance);
        _tenant = ids.Next<TenantId>();
        _sagas = new SagaId[Sagas];
        var intents = new IntentId[Sagas];
        for (var i = 0; i < Sagas; i++)
        {
            _sagas[i] = ids.Next<SagaId>();
            intents[i] = ids.Next<IntentId>();
        }

        var name = ThreeStepSaga.Name;
        var stages = new Func<int, WalPayload>[]
        {
            i => new IntentReceivedPayload(name, name, 1, Encoding.UTF8.GetBytes($$"""{"n":{{i}}}""")),
            _ => new SagaStartedPayload(name, 1),
            _ => new StepCompletedPayload(0, "one", StepKind.Step, "1"u8.ToArray()),
            _ => new StepCompletedPayload(1, "two", StepKind.Step, "2"u8.ToArray()),
        };

        // Interleaved in waves of 100 sagas, as concurrent sagas would write them.
        for (var wave = 0; wave < Sagas; wave += 100)
        {
            foreach (var stage in stages)
            {
                for (var i = wave; i < Math.Min(wave + 100, Sagas); i++)
                {
                    var payload = stage(i);
                    _entries.Add(new WalEntry(payload.Kind, _tenant, WalPayloadCodec.Encode(payload), Saga: _sagas[i], Intent: intents[i]));
                }
            }
        }
    }

    /// <summary>A fresh log with the prepared records.</summary>
    [IterationSetup]
    public void FillLog()
    {
        _log = new InMemoryWriteAheadLog(TimeProvider.System);
        foreach (var entry in _entries)
        {
            _ = _log.AppendAsync(entry).AsTask().Result;
        }
    }

    /// <summary>Stops the host the iteration started, if any.</summary>
    [IterationCleanup]
    public void StopHost()
    {
        if (_host is { } host)
        {
            host.StopAsync().GetAwaiter().GetResult();
            host.Dispose();
            _host = null;
        }
    }

    /// <summary>Baseline: read every record back.</summary>
    [Benchmark(Baseline = true)]
    public async Task<long> ReadLog()
    {
        long bytes = 0;
        await foreach (var record in _log!.ReadAsync(_log.FirstPosition))
        {
            bytes += record.Payload.Length;
        }

        return bytes;
    }

    /// <summary>For reference: build and start the same host over an empty log, the fixed part of <see cref="RecoverAndComplete"/>.</summary>
    [Benchmark]
    public Task StartHostOverEmptyLog()
    {
        _host = BenchmarkHost.Build(new InMemoryWriteAheadLog(TimeProvider.System));
        return _host.StartAsync();
    }

    /// <summary>Build a host over the log, start it (recovery replays and resumes), wait until all sagas completed.</summary>
    [Benchmark]
    public async Task<int> RecoverAndComplete()
    {
        _host = BenchmarkHost.Build(_log);
        await _host.StartAsync();
        var engine = _host.Services.GetRequiredService<ISagaEngine>();
        var ends = new Task<SagaSnapshot>[_sagas.Length];
        for (var i = 0; i < ends.Length; i++)
        {
            ends[i] = engine.WaitForEndAsync(_tenant, _sagas[i]);
        }

        var completed = 0;
        foreach (var end in await Task.WhenAll(ends))
        {
            completed += end.State == SagaState.Completed ? 1 : 0;
        }

        return completed == _sagas.Length ? completed : throw new InvalidOperationException($"Only {completed} of {_sagas.Length} sagas completed.");
    }
}
