using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Symphainy.Events;
using Symphainy.Sagas;

namespace Symphainy.Benchmarks;

/// <summary>
/// Fan-out of execution events to <see cref="Subscribers"/> subscribers, each draining its own subscription on
/// its own task. One invocation publishes <see cref="Events"/> events and waits until every subscriber has read
/// all of them (<c>OperationsPerInvoke</c>, so times are per published event): <see cref="InProcessExecutionEventBus"/>
/// (capacity 1,024 per subscriber) vs the baseline of writing to one plain bounded <see cref="Channel{T}"/> per
/// subscriber (same capacity and full mode).
/// </summary>
[MemoryDiagnoser]
public class EventFanOutBenchmarks
{
    private const int Events = 1_024;
    private const int Capacity = 1_024;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _drainers = [];
    private InProcessExecutionEventBus? _bus;
    private ChannelWriter<ExecutionEvent>[] _channels = [];
    private ExecutionEvent? _event;
    private long _received;
    private long _expected;
    private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Subscribers, each draining on its own task.</summary>
    [Params(1, 16)]
    public int Subscribers { get; set; }

    /// <summary>Subscribes to the bus and opens the plain channels, with their drainers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var ids = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance);
        var tenant = ids.Next<TenantId>();
        _event = new ExecutionEvent(42, ExecutionEventKind.StepCompleted, tenant, ids.Next<SagaId>(), SagaState.Running, "charge", DateTimeOffset.UtcNow);
        _bus = new InProcessExecutionEventBus(Capacity);
        _channels = new ChannelWriter<ExecutionEvent>[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            // The subscription is registered by the time DrainAsync first awaits, i.e. before it returns here.
            _drainers.Add(DrainAsync(_bus.SubscribeAsync(tenant, null, _stop.Token)));
            var channel = Channel.CreateBounded<ExecutionEvent>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            _channels[i] = channel.Writer;
            _drainers.Add(DrainAsync(channel.Reader));
        }
    }

    /// <summary>Ends the subscriptions and drainers.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _stop.CancelAsync();
        foreach (var channel in _channels)
        {
            channel.TryComplete();
        }

        try
        {
            await Task.WhenAll(_drainers);
        }
        catch (OperationCanceledException)
        {
            // The bus subscriptions end by cancellation.
        }
    }

    /// <summary>Baseline: write each event to every plain channel.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task PlainChannels()
    {
        var done = Expect();
        var item = _event!;
        for (var n = 0; n < Events; n++)
        {
            foreach (var writer in _channels)
            {
                if (!writer.TryWrite(item))
                {
                    await writer.WriteAsync(item);
                }
            }
        }

        await done;
    }

    /// <summary>Publish each event on the bus.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public async Task EventBus()
    {
        var done = Expect();
        var item = _event!;
        for (var n = 0; n < Events; n++)
        {
            await _bus!.PublishAsync(item);
        }

        await done;
    }

    private Task Expect()
    {
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _received, 0);
        Volatile.Write(ref _expected, (long)Events * Subscribers);
        return _done.Task;
    }

    private void Received()
    {
        if (Interlocked.Increment(ref _received) == Volatile.Read(ref _expected))
        {
            _done.TrySetResult();
        }
    }

    private async Task DrainAsync(IAsyncEnumerable<ExecutionEvent> events)
    {
        await foreach (var _ in events)
        {
            Received();
        }
    }

    private async Task DrainAsync(ChannelReader<ExecutionEvent> reader)
    {
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out _))
            {
                Received();
            }
        }
    }
}
