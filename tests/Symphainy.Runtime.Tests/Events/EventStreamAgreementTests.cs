using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Events;
using Symphainy.Runtime.Tests.Sagas;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Events;

/// <summary>
/// The live bus and the durable watch derive events from the same records through the same mapping, so for every
/// saga shape a subscriber that attached before the saga was submitted sees exactly what a watch from position 1 replays.
/// </summary>
public sealed class EventStreamAgreementTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Journal _journal = new();

    private static readonly Func<SagaTestHost, SagaId, Task> Nothing = (_, _) => Task.CompletedTask;

    /// <summary>Each shape: the intent that starts it, what drives it after submission, and how often the payment service fails first.</summary>
    private static readonly Dictionary<string, (string Intent, Func<SagaTestHost, SagaId, Task> Drive, int TransientFailures)> Drivers = new()
    {
        ["plain steps"] = ("orders.place", Nothing, 0),
        ["a step retried after transient failures"] = ("orders.place", Nothing, 2), // the clock moves through the backoffs
        ["a timer"] = ("orders.cool_off", (host, _) => AdvanceAsync(host, TimeSpan.FromHours(1)), 0),
        ["a signal, then a timer"] = ("orders.approve", async (host, saga) =>
        {
            await host.Engine.SignalAsync(host.Tenant, saga, "approve", JsonSerializer.SerializeToElement(new Approval("ada")));
            await AdvanceAsync(host, TimeSpan.FromHours(1));
        }, 0),
        ["a signal wait that times out after a compensable step"] = ("orders.approve", (host, _) => AdvanceAsync(host, TimeSpan.FromDays(2)), 0),
        ["a signal wait that times out with nothing to compensate"] = ("orders.ship_then_approve", (host, _) => AdvanceAsync(host, TimeSpan.FromDays(1)), 0),
        ["a step that fails for good and compensates"] = ("orders.fail_shipping", Nothing, 0),
        ["cancellation while waiting"] = ("orders.approve", async (host, saga) => await host.Engine.CancelAsync(host.Tenant, saga, "customer changed their mind"), 0),
    };

    public static TheoryData<string> Shapes => [.. Drivers.Keys];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_bus_and_the_watch_tell_the_same_story(string shape)
    {
        var (bus, watched) = await RunAsync(shape);

        bus.Should().Equal(watched, "the live bus publishes the same events, in the same order, that a watch replays");
        watched.Select(e => e.Position).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        watched[0].Kind.Should().Be(ExecutionEventKind.IntentAccepted);
        watched[^1].State.Should().BeOneOf(SagaState.Completed, SagaState.Failed, SagaState.Cancelled);
    }

    [Fact]
    public async Task Plain_steps_report_each_step_then_completion()
    {
        var (bus, watched) = await RunAsync("plain steps");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "charge"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "ship"),
            (ExecutionEventKind.SagaCompleted, SagaState.Completed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
    }

    [Fact]
    public async Task A_retried_step_reports_each_failed_attempt_before_it_completes()
    {
        var (bus, watched) = await RunAsync("a step retried after transient failures");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.StepFailed, SagaState.Running, "charge"),
            (ExecutionEventKind.StepFailed, SagaState.Running, "charge"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "charge"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "ship"),
            (ExecutionEventKind.SagaCompleted, SagaState.Completed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
        watched[4].Timestamp.Should().BeAfter(watched[3].Timestamp, "the retry waited for its backoff on the clock");
    }

    [Fact]
    public async Task A_timed_out_wait_reports_the_failed_wait_then_compensation_then_failure()
    {
        var (bus, watched) = await RunAsync("a signal wait that times out after a compensable step");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.Waiting, SagaState.Waiting, "approve"),
            (ExecutionEventKind.StepFailed, SagaState.Running, "approve"),
            (ExecutionEventKind.Compensating, SagaState.Compensating, null),
            (ExecutionEventKind.StepCompleted, SagaState.Compensating, "reserve"),
            (ExecutionEventKind.SagaFailed, SagaState.Failed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
    }

    [Fact]
    public async Task A_timed_out_wait_with_nothing_to_compensate_reports_the_failed_wait_then_failure()
    {
        var (bus, watched) = await RunAsync("a signal wait that times out with nothing to compensate");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "ship"),
            (ExecutionEventKind.Waiting, SagaState.Waiting, "approve"),
            (ExecutionEventKind.StepFailed, SagaState.Running, "approve"),
            (ExecutionEventKind.SagaFailed, SagaState.Failed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
    }

    [Fact]
    public async Task A_signal_then_a_timer_report_each_wait_and_what_ended_it()
    {
        var (bus, watched) = await RunAsync("a signal, then a timer");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.Waiting, SagaState.Waiting, "approve"),
            (ExecutionEventKind.Signalled, SagaState.Running, "approve"),
            (ExecutionEventKind.Waiting, SagaState.Waiting, "cool-off"),
            (ExecutionEventKind.Signalled, SagaState.Running, "cool-off"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "charge"),
            (ExecutionEventKind.SagaCompleted, SagaState.Completed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
        (watched[6].Timestamp - watched[5].Timestamp).Should().BeGreaterThanOrEqualTo(TimeSpan.FromHours(1), "the timer fired on the fake clock");
    }

    [Fact]
    public async Task A_step_that_fails_for_good_reports_its_failure_then_compensation_in_reverse_order()
    {
        var (bus, watched) = await RunAsync("a step that fails for good and compensates");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "charge"),
            (ExecutionEventKind.StepFailed, SagaState.Running, "ship"),
            (ExecutionEventKind.Compensating, SagaState.Compensating, null),
            (ExecutionEventKind.StepCompleted, SagaState.Compensating, "charge"),
            (ExecutionEventKind.StepCompleted, SagaState.Compensating, "reserve"),
            (ExecutionEventKind.SagaFailed, SagaState.Failed, (string?)null));
        Story(bus).Should().Equal(Story(watched));
    }

    [Fact]
    public async Task Cancelling_a_waiting_saga_reports_the_request_then_compensation_then_cancellation()
    {
        var (bus, watched) = await RunAsync("cancellation while waiting");

        Story(watched).Should().Equal(
            (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            (ExecutionEventKind.StepCompleted, SagaState.Running, "reserve"),
            (ExecutionEventKind.Waiting, SagaState.Waiting, "approve"),
            (ExecutionEventKind.CancelRequested, SagaState.Running, null),
            (ExecutionEventKind.Compensating, SagaState.Compensating, null),
            (ExecutionEventKind.StepCompleted, SagaState.Compensating, "reserve"),
            (ExecutionEventKind.SagaCancelled, SagaState.Cancelled, (string?)null));
        Story(bus).Should().Equal(Story(watched));
    }

    private static List<(ExecutionEventKind Kind, SagaState State, string? Step)> Story(IEnumerable<ExecutionEvent> events) =>
        events.Select(e => (e.Kind, e.State, e.Step)).ToList();

    private static bool Ends(ExecutionEvent e) =>
        e.Kind is ExecutionEventKind.SagaCompleted or ExecutionEventKind.SagaFailed or ExecutionEventKind.SagaCancelled;

    /// <summary>
    /// Subscribes to the bus, submits the shape's saga, drives it to its end, then returns the bus's events for the
    /// saga and a watch's events from position 1, each up to the saga's end.
    /// </summary>
    private async Task<(List<ExecutionEvent> Bus, List<ExecutionEvent> Watched)> RunAsync(string shape)
    {
        var (intent, drive, transientFailures) = Drivers[shape];
        await using var host = await SagaTestHost.StartAsync(
            s => s.AddSaga<PlaceOrder>("orders.place")
                .AddSaga<ApproveOrder>("orders.approve")
                .AddSaga<ReserveThenCoolOff>("orders.cool_off")
                .AddSaga<ShipThenAwaitApproval>("orders.ship_then_approve")
                .AddSaga<PlaceOrderThenFailShipping>("orders.fail_shipping"),
            _journal);
        host.Services.GetRequiredService<FailureSwitch>().TransientFailures = transientFailures;

        await using var live = BusRecorder.Attach(host.Services.GetRequiredService<IExecutionEventBus>(), host.Tenant);
        var accepted = await host.SubmitAsync(intent, new OrderInput("o-1", 1));
        await host.IdleAsync();
        await drive(host, accepted.Execution);
        await DriveToEndAsync(host, accepted.Execution);

        var bus = (await live.UntilEndAsync()).Where(e => e.Saga == accepted.Execution).ToList();
        var watched = await WatchToEndAsync(host, accepted.Execution);
        return (bus, watched);
    }

    /// <summary>Moves the clock in small steps (retry backoffs are milliseconds) until the saga ended; each step waits for idleness.</summary>
    private static async Task DriveToEndAsync(SagaTestHost host, SagaId saga)
    {
        for (var i = 0; i < 40; i++)
        {
            await host.IdleAsync();
            if ((await host.Engine.GetAsync(host.Tenant, saga))?.IsEnded == true)
            {
                return;
            }

            host.Time.Advance(TimeSpan.FromMilliseconds(250));
        }

        throw new InvalidOperationException($"Saga {saga} did not end: {await host.Engine.GetAsync(host.Tenant, saga)}");
    }

    private static async Task AdvanceAsync(SagaTestHost host, TimeSpan by)
    {
        await host.IdleAsync();
        host.Time.Advance(by);
        await host.IdleAsync();
    }

    private static async Task<List<ExecutionEvent>> WatchToEndAsync(SagaTestHost host, SagaId saga)
    {
        using var stop = new CancellationTokenSource(Patience);
        var events = new List<ExecutionEvent>();
        await foreach (var e in host.Engine.WatchAsync(host.Tenant, saga, 1, stop.Token))
        {
            events.Add(e);
            if (Ends(e))
            {
                break;
            }
        }

        return events;
    }

    /// <summary>A bus subscriber attached (its first read pending) before anything is submitted; reads until a saga ends.</summary>
    private sealed class BusRecorder : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly IAsyncEnumerator<ExecutionEvent> _events;
        private readonly Task<List<ExecutionEvent>> _reading;

        private BusRecorder(IExecutionEventBus bus, TenantId tenant)
        {
            _events = bus.SubscribeAsync(tenant, cancellationToken: _stop.Token).GetAsyncEnumerator(_stop.Token);
            var first = _events.MoveNextAsync().AsTask();
            _reading = ReadAsync(first);
        }

        public static BusRecorder Attach(IExecutionEventBus bus, TenantId tenant) => new(bus, tenant);

        public Task<List<ExecutionEvent>> UntilEndAsync() => _reading.WaitAsync(Patience);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _reading.WaitAsync(Patience);
            }
            catch (OperationCanceledException)
            {
            }

            await _events.DisposeAsync();
            _stop.Dispose();
        }

        private async Task<List<ExecutionEvent>> ReadAsync(Task<bool> first)
        {
            var seen = new List<ExecutionEvent>();
            var more = await first;
            while (more)
            {
                seen.Add(_events.Current);
                if (Ends(_events.Current))
                {
                    break;
                }

                more = await _events.MoveNextAsync();
            }

            return seen;
        }
    }
}
