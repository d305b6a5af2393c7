using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Symphainy.Events;

/// <summary>The Runtime's default <see cref="IExecutionEventBus"/>: one bounded channel per subscriber.</summary>
public sealed class InProcessExecutionEventBus : IExecutionEventBus
{
    private readonly Lock _gate = new();
    private readonly int _capacity;
    private Subscriber[] _subscribers = [];

    /// <summary>Creates the bus.</summary>
    /// <param name="capacity">Events buffered per subscriber before the publisher waits.</param>
    public InProcessExecutionEventBus(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Whether anyone subscribed: with nobody listening, publishers may skip building events.</summary>
    public bool HasSubscribers => Volatile.Read(ref _subscribers).Length > 0;

    /// <summary>Raised synchronously when a subscriber attaches, before it can receive anything.</summary>
    internal event Action? SubscriberAttached;

    /// <inheritdoc/>
    public ValueTask PublishAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        List<Task>? waiting = null;
        foreach (var subscriber in subscribers)
        {
            if (subscriber.Tenant == executionEvent.Tenant && (subscriber.Saga is null || subscriber.Saga == executionEvent.Saga)
                && !subscriber.Channel.Writer.TryWrite(executionEvent))
            {
                (waiting ??= []).Add(WriteOrDropAsync(subscriber, executionEvent, cancellationToken));
            }
        }

        return waiting is null ? ValueTask.CompletedTask : new ValueTask(Task.WhenAll(waiting));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExecutionEvent> SubscribeAsync(TenantId tenant, SagaId? saga = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var subscriber = new Subscriber(tenant, saga, Channel.CreateBounded<ExecutionEvent>(new BoundedChannelOptions(_capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }));
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        SubscriberAttached?.Invoke();

        // Cancelling ends the subscription at once, even while its reader is not reading (it may be holding an event
        // with a full buffer behind it): otherwise a publisher waiting for room would wait until the next read.
        using var leaving = cancellationToken.Register(() => Leave(subscriber));
        try
        {
            while (await subscriber.Channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (!cancellationToken.IsCancellationRequested && subscriber.Channel.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            Leave(subscriber);
        }
    }

    private void Leave(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Where(s => s != subscriber).ToArray();
        }

        // Release publishers waiting on this subscriber's full buffer.
        subscriber.Channel.Writer.TryComplete();
    }

    private static async Task WriteOrDropAsync(Subscriber subscriber, ExecutionEvent executionEvent, CancellationToken cancellationToken)
    {
        try
        {
            await subscriber.Channel.Writer.WriteAsync(executionEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The subscriber left while we waited for room; nobody is there to deliver to.
        }
    }

    private sealed record Subscriber(TenantId Tenant, SagaId? Saga, Channel<ExecutionEvent> Channel);
}
