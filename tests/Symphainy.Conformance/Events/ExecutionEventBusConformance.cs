using Microsoft.Extensions.Time.Testing;
using Symphainy.Events;
using Symphainy.Sagas;

namespace Symphainy.Conformance.Events;

/// <summary>
/// The contract every <see cref="IExecutionEventBus"/> adapter keeps. An adapter's test project derives from this
/// class and says how to create its bus; every test here then runs against it.
/// </summary>
/// <remarks>
/// A subscription is attached once its enumeration started (its first <c>MoveNextAsync</c> was called): from then
/// on it sees every event published for it. No test sleeps: waits are bounded in real time, and a publish shown to be
/// waiting is one whose task has not completed while a subscriber's buffer is full.
/// </remarks>
public abstract class ExecutionEventBusConformance : IAsyncLifetime
{
    /// <summary>How long any single wait in this suite may take before the test fails.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly List<IExecutionEventBus> _created = [];
    private readonly List<Subscription> _subscriptions = [];
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero));
    private long _position;

    /// <summary>Ids for tenants and sagas.</summary>
    protected IdGenerator Ids { get; } = new(new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero)), new SeededRandomSource(17));

    /// <summary>Creates a bus whose subscribers each buffer at most <paramref name="capacity"/> unread events before publishers wait.</summary>
    /// <param name="capacity">Events buffered per subscriber.</param>
    protected abstract ValueTask<IExecutionEventBus> CreateBusAsync(int capacity);

    /// <summary>
    /// How many events a subscriber that attached and then reads nothing takes in before a publisher must wait:
    /// its buffer, plus whatever its pending first read already took out of it. The in-process bus holds
    /// <paramref name="capacity"/> + 1 (its channel, and the event its first read was handed).
    /// </summary>
    /// <param name="capacity">The capacity the bus was created with.</param>
    protected virtual int HeldByAnIdleSubscriber(int capacity) => capacity + 1;

    /// <summary>
    /// Whether a publisher waits while a subscriber's buffer is full (true for a bus whose subscribers read from the
    /// publisher's memory). A bus that keeps its events in a durable stream (Redis) never makes a publisher wait: a slow
    /// subscriber reads them from the stream later. Either way, nothing a slow subscriber is owed is lost; the
    /// backpressure tests check that the publisher waits only where this is true.
    /// </summary>
    protected virtual bool PublishersWaitForSlowSubscribers => true;

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync();
        }

        foreach (var bus in _created)
        {
            if (bus is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Events_of_one_saga_arrive_in_publish_order()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var subscriber = Attach(bus, tenant, saga);
        var published = Enumerable.Range(0, 200).Select(i => NextEvent(tenant, saga, $"step-{i}")).ToList();

        foreach (var e in published)
        {
            await PublishAsync(bus, e);
        }

        (await subscriber.TakeAsync(published.Count)).Should().Equal(published);
    }

    [Fact]
    public async Task A_subscriber_never_sees_another_tenants_events()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var other = Ids.Next<TenantId>();
        var ours = Ids.Next<SagaId>();
        var theirs = Ids.Next<SagaId>();
        var wholeTenant = Attach(bus, tenant);
        var theirSagaFromHere = Attach(bus, tenant, theirs);

        await PublishAsync(bus, NextEvent(other, theirs, "theirs-1"));
        await PublishAsync(bus, NextEvent(other, ours, "theirs-2"));
        await PublishAsync(bus, NextEvent(other, theirs, "theirs-3"));
        var mine = NextEvent(tenant, ours, "ours");
        var marker = NextEvent(tenant, theirs, "marker");
        await PublishAsync(bus, mine);
        await PublishAsync(bus, marker);

        // Each subscriber's first event is one published after the other tenant's: those were never delivered.
        (await wholeTenant.TakeAsync(2)).Should().Equal(mine, marker);
        (await theirSagaFromHere.TakeAsync(1)).Should().Equal([marker], "a saga filter naming another tenant's saga id still sees only its own tenant");
    }

    [Fact]
    public async Task A_saga_filter_delivers_only_that_sagas_events()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var first = Ids.Next<SagaId>();
        var second = Ids.Next<SagaId>();
        var onlyFirst = Attach(bus, tenant, first);
        var onlySecond = Attach(bus, tenant, second);
        var all = Attach(bus, tenant);
        var published = Enumerable.Range(0, 20).Select(i => NextEvent(tenant, i % 3 == 0 ? first : second, $"s{i}")).ToList();

        foreach (var e in published)
        {
            await PublishAsync(bus, e);
        }

        (await onlyFirst.TakeAsync(7)).Should().Equal(published.Where(e => e.Saga == first));
        (await onlySecond.TakeAsync(13)).Should().Equal(published.Where(e => e.Saga == second));
        (await all.TakeAsync(20)).Should().Equal(published);

        // Nothing else was queued for the filtered subscribers: the next event each sees is the next one of its saga.
        var next = NextEvent(tenant, first, "next");
        await PublishAsync(bus, next);
        (await onlyFirst.TakeAsync(1)).Should().Equal(next);
    }

    [Fact]
    public async Task A_subscriber_that_attached_before_the_first_event_sees_it()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var subscriber = Attach(bus, tenant, saga);

        var first = NextEvent(tenant, saga, "first");
        await PublishAsync(bus, first);

        (await subscriber.TakeAsync(1)).Should().Equal(first);
    }

    [Fact]
    public async Task Several_subscribers_each_see_every_event_in_order()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var sagas = Enumerable.Range(0, 3).Select(_ => Ids.Next<SagaId>()).ToList();
        var subscribers = Enumerable.Range(0, 5).Select(_ => Attach(bus, tenant)).ToList();
        var published = Enumerable.Range(0, 100).Select(i => NextEvent(tenant, sagas[i % sagas.Count], $"s{i}")).ToList();

        foreach (var e in published)
        {
            await PublishAsync(bus, e);
        }

        foreach (var subscriber in subscribers)
        {
            (await subscriber.TakeAsync(published.Count)).Should().Equal(published);
        }
    }

    [Fact]
    public async Task A_subscriber_that_does_not_read_makes_the_publisher_wait_without_losing_anything()
    {
        const int capacity = 2;
        var bus = await NewBusAsync(capacity);
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var slow = Attach(bus, tenant, saga);
        var held = HeldByAnIdleSubscriber(capacity);
        var published = Enumerable.Range(0, held + 3).Select(i => NextEvent(tenant, saga, $"s{i}")).ToList();

        foreach (var e in published.Take(held))
        {
            await PublishAsync(bus, e);
        }

        var waiting = bus.PublishAsync(published[held]).AsTask();
        if (PublishersWaitForSlowSubscribers)
        {
            waiting.IsCompleted.Should().BeFalse("the subscriber's buffer is full, so the publish waits for room");
        }

        (await slow.TakeAsync(1)).Should().Equal(published[0]);
        await waiting.WaitAsync(Patience); // neither dropped nor failed: it completes once there is room
        var rest = Task.Run(async () =>
        {
            foreach (var e in published.Skip(held + 1))
            {
                await bus.PublishAsync(e);
            }
        });

        (await slow.TakeAsync(published.Count - 1)).Should().Equal(published.Skip(1), "every event arrives, in order, once the subscriber reads");
        await rest.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_publish_waiting_for_one_subscriber_has_already_delivered_to_the_others()
    {
        const int capacity = 1;
        var bus = await NewBusAsync(capacity);
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var slow = Attach(bus, tenant, saga);
        var fast = Attach(bus, tenant, saga);
        var held = HeldByAnIdleSubscriber(capacity);
        var published = Enumerable.Range(0, held + 1).Select(i => NextEvent(tenant, saga, $"s{i}")).ToList();

        foreach (var e in published.Take(held))
        {
            await PublishAsync(bus, e);
            (await fast.TakeAsync(1)).Should().Equal(e);
        }

        var waiting = bus.PublishAsync(published[held]).AsTask();
        (await fast.TakeAsync(1)).Should().Equal([published[held]], "a slow subscriber does not hold back the others");
        if (PublishersWaitForSlowSubscribers)
        {
            waiting.IsCompleted.Should().BeFalse();
        }

        (await slow.TakeAsync(published.Count)).Should().Equal(published);
        await waiting.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_subscriber_that_cancels_releases_a_waiting_publisher()
    {
        const int capacity = 2;
        var bus = await NewBusAsync(capacity);
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var leaving = Attach(bus, tenant, saga);
        var staying = Attach(bus, tenant, saga);
        var held = HeldByAnIdleSubscriber(capacity);
        var published = Enumerable.Range(0, held + 2).Select(i => NextEvent(tenant, saga, $"s{i}")).ToList();
        foreach (var e in published.Take(held))
        {
            await PublishAsync(bus, e);
            (await staying.TakeAsync(1)).Should().Equal(e);
        }

        var waiting = bus.PublishAsync(published[held]).AsTask();
        if (PublishersWaitForSlowSubscribers)
        {
            waiting.IsCompleted.Should().BeFalse();
        }

        await leaving.CancelAsync(); // it reads nothing more and does not dispose its enumerator
        await waiting.WaitAsync(Patience);
        (await leaving.ReadsNothingMoreAsync()).Should().BeTrue("a cancelled subscription delivers nothing more, even what it had buffered");
        await PublishAsync(bus, published[held + 1]); // nor does it hold later publishes
        (await staying.TakeAsync(2)).Should().Equal(published.Skip(held));
    }

    [Fact]
    public async Task A_subscriber_that_stops_enumerating_releases_a_waiting_publisher()
    {
        const int capacity = 2;
        var bus = await NewBusAsync(capacity);
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        var leaving = Attach(bus, tenant, saga);
        var held = HeldByAnIdleSubscriber(capacity);
        var published = Enumerable.Range(0, held + 2).Select(i => NextEvent(tenant, saga, $"s{i}")).ToList();
        foreach (var e in published.Take(held))
        {
            await PublishAsync(bus, e);
        }

        var waiting = bus.PublishAsync(published[held]).AsTask();
        if (PublishersWaitForSlowSubscribers)
        {
            waiting.IsCompleted.Should().BeFalse();
        }

        await leaving.LeaveAsync(); // like breaking out of an await foreach: disposed, never cancelled
        await waiting.WaitAsync(Patience);
        await PublishAsync(bus, published[held + 1]);
    }

    [Fact]
    public async Task A_cancelled_subscription_ends_its_enumeration()
    {
        var bus = await NewBusAsync();
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();
        using var stop = new CancellationTokenSource();
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            var seen = 0;
            try
            {
                await using var events = bus.SubscribeAsync(tenant, saga, stop.Token).GetAsyncEnumerator(stop.Token);
                var next = events.MoveNextAsync();
                attached.SetResult();
                while (await next)
                {
                    seen++;
                    next = events.MoveNextAsync();
                }
            }
            catch (OperationCanceledException)
            {
            }

            return seen;
        });
        await attached.Task.WaitAsync(Patience);

        await stop.CancelAsync();

        (await reading.WaitAsync(Patience)).Should().Be(0);
    }

    [Fact]
    public async Task Publishing_with_no_subscribers_completes()
    {
        var bus = await NewBusAsync(capacity: 1);
        var tenant = Ids.Next<TenantId>();
        var saga = Ids.Next<SagaId>();

        for (var i = 0; i < 10; i++)
        {
            await PublishAsync(bus, NextEvent(tenant, saga, $"s{i}"));
        }

        var otherTenant = Attach(bus, Ids.Next<TenantId>());
        for (var i = 0; i < 10; i++)
        {
            await PublishAsync(bus, NextEvent(tenant, saga, $"t{i}")); // nobody of this tenant listens, so nobody's buffer fills
        }

        await otherTenant.DisposeAsync();
        await PublishAsync(bus, NextEvent(tenant, saga, "after everyone left"));
    }

    /// <summary>An event with the next position and a timestamp a second after the previous one.</summary>
    private ExecutionEvent NextEvent(TenantId tenant, SagaId saga, string? step, ExecutionEventKind kind = ExecutionEventKind.StepCompleted)
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        return new ExecutionEvent(++_position, kind, tenant, saga, SagaState.Running, step, _clock.GetUtcNow());
    }

    private async Task<IExecutionEventBus> NewBusAsync(int capacity = 1024)
    {
        var bus = await CreateBusAsync(capacity);
        _created.Add(bus);
        return bus;
    }

    private static Task PublishAsync(IExecutionEventBus bus, ExecutionEvent executionEvent) =>
        bus.PublishAsync(executionEvent).AsTask().WaitAsync(Patience);

    private Subscription Attach(IExecutionEventBus bus, TenantId tenant, SagaId? saga = null)
    {
        var subscription = new Subscription(bus, tenant, saga);
        _subscriptions.Add(subscription);
        return subscription;
    }

    /// <summary>A subscriber that attached on creation (its first read is pending) and reads only when asked to.</summary>
    private sealed class Subscription : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly IAsyncEnumerator<ExecutionEvent> _events;
        private Task<bool> _next;
        private bool _disposed;

        public Subscription(IExecutionEventBus bus, TenantId tenant, SagaId? saga)
        {
            _events = bus.SubscribeAsync(tenant, saga, _stop.Token).GetAsyncEnumerator(_stop.Token);
            _next = _events.MoveNextAsync().AsTask();
        }

        /// <summary>The next <paramref name="count"/> events; each read waits at most <see cref="Patience"/>.</summary>
        public async Task<List<ExecutionEvent>> TakeAsync(int count)
        {
            var taken = new List<ExecutionEvent>(count);
            for (var i = 0; i < count; i++)
            {
                var more = await _next.WaitAsync(Patience);
                more.Should().BeTrue("the subscription is still open");
                taken.Add(_events.Current);
                _next = _events.MoveNextAsync().AsTask();
            }

            return taken;
        }

        public Task CancelAsync() => _stop.CancelAsync();

        /// <summary>Whether the next read ends the enumeration (returns false or throws <see cref="OperationCanceledException"/>).</summary>
        public async Task<bool> ReadsNothingMoreAsync()
        {
            await _next.WaitAsync(Patience);
            try
            {
                var more = await _events.MoveNextAsync().AsTask().WaitAsync(Patience);
                _next = Task.FromResult(more);
                return !more;
            }
            catch (OperationCanceledException)
            {
                _next = Task.FromResult(false);
                return true;
            }
        }

        /// <summary>Stops enumerating without cancelling, as leaving an <c>await foreach</c> early does.</summary>
        public async Task LeaveAsync()
        {
            await _next.WaitAsync(Patience); // no read may be in flight when an enumerator is disposed
            _next = Task.FromResult(false);
            await _events.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _stop.CancelAsync();
            try
            {
                // A read may be in flight; it ends with the cancellation (or the bus's end of the stream).
                await _next.WaitAsync(Patience);
            }
            catch (OperationCanceledException)
            {
            }

            await _events.DisposeAsync();
            _stop.Dispose();
        }
    }
}
