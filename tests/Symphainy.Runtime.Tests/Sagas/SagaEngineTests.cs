using Symphainy.Wal.Records;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed class SagaEngineTests
{
    private readonly Journal _journal = new();

    private Task<SagaTestHost> StartAsync(Action<IServiceCollection>? services = null) => SagaTestHost.StartAsync(
        s => s.AddSaga<PlaceOrder>("orders.place").AddSaga<ApproveOrder>("orders.approve"), _journal, services: services);

    [Fact]
    public async Task A_three_step_saga_records_every_step_before_completing_with_its_output()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.place", new OrderInput("o-1", 2));

        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Completed);
        end.CompletedSteps.Should().Be(3);
        end.Output!.Value.Deserialize<OrderOutput>(new JsonSerializerOptions(JsonSerializerDefaults.Web))
            .Should().Be(new OrderOutput("o-1", "res-o-1", "chg-o-1", "shp-o-1"));
        _journal.Entries.Should().Equal("reserve o-1 x2", "charge o-1", "ship o-1");
        var records = await host.RecordsAsync(accepted.Execution);
        records.Select(r => r.Kind).Should().Equal(
            WalRecordKind.IntentReceived, WalRecordKind.SagaStarted,
            WalRecordKind.StepCompleted, WalRecordKind.StepCompleted, WalRecordKind.StepCompleted,
            WalRecordKind.SagaEnded);
        records[0].Position.Should().Be(accepted.Position);
        records.Should().OnlyContain(r => r.Tenant == host.Tenant && r.Intent == accepted.Intent);
        var reserve = (StepCompletedPayload)WalPayloadCodec.Decode(records[2]);
        reserve.Name.Should().Be("reserve");
        Encoding.UTF8.GetString(reserve.Result!.Value.Span).Should().Contain("res-o-1");
    }

    [Fact]
    public async Task A_transient_failure_is_retried_after_an_exponential_backoff_on_the_injected_clock()
    {
        await using var host = await StartAsync();
        host.Services.GetRequiredService<FailureSwitch>().TransientFailures = 2;
        var accepted = await host.SubmitAsync("orders.place", new OrderInput("o-2", 1));

        await host.WaitForRecordsAsync(accepted.Execution, WalRecordKind.StepFailed, 1);
        _journal.Count("charge").Should().Be(1, "the retry waits for its backoff (about 100 ms) on the fake clock");
        host.Time.Advance(TimeSpan.FromMilliseconds(50));
        await host.IdleAsync();
        _journal.Count("charge").Should().Be(1, "50 ms is less than the shortest jittered backoff (80 ms)");
        host.Time.Advance(TimeSpan.FromMilliseconds(100));
        await host.WaitForRecordsAsync(accepted.Execution, WalRecordKind.StepFailed, 2);
        host.Time.Advance(TimeSpan.FromMilliseconds(300)); // the second backoff is about 200 ms
        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Completed);
        _journal.Count("charge").Should().Be(3);
        var failures = (await host.RecordsAsync(accepted.Execution)).Where(r => r.Kind == WalRecordKind.StepFailed)
            .Select(r => (StepFailedPayload)WalPayloadCodec.Decode(r)).ToList();
        failures.Select(f => f.Attempt).Should().Equal(1, 2);
        failures.Should().OnlyContain(f => !f.Final && f.Error.Code == "step.unhandled_exception");
        failures[0].Backoff.TotalMilliseconds.Should().BeInRange(80, 120);
        failures[1].Backoff.TotalMilliseconds.Should().BeInRange(160, 240);
    }

    [Fact]
    public async Task A_step_that_fails_for_good_compensates_completed_steps_in_reverse_order()
    {
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<PlaceOrderThenFailShipping>("orders.fail_shipping"), _journal);
        var accepted = await host.SubmitAsync("orders.fail_shipping", new OrderInput("o-3", 1));

        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Failed);
        end.Error!.Code.Should().Be("saga.step_failed");
        end.Error.Step.Should().Be("ship");
        _journal.Entries.Should().Equal("reserve o-3 x1", "charge o-3", "refund chg-o-3", "release res-o-3");
        var records = await host.RecordsAsync(accepted.Execution);
        records.Count(r => r.Kind == WalRecordKind.StepFailed).Should().Be(1, "a domain error is not retried");
    }

    [Fact]
    public async Task A_declined_charge_is_not_retried_and_releases_the_reservation()
    {
        await using var host = await StartAsync();
        host.Services.GetRequiredService<FailureSwitch>().DeclineCharges = true;
        var accepted = await host.SubmitAsync("orders.place", new OrderInput("o-4", 1));

        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Failed);
        end.Error!.Message.Should().Contain("declined");
        _journal.Entries.Should().Equal("reserve o-4 x1", "charge o-4", "release res-o-4");
    }

    [Fact]
    public async Task A_saga_waits_for_its_signal_then_its_timer_and_records_both()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.approve", new OrderInput("o-5", 1));
        var waiting = await host.WaitForStateAsync(accepted.Execution, SagaState.Waiting);
        waiting.CurrentStep.Should().Be("approve");

        await host.SubmitAsync(BuiltInIntents.Signal, new { sagaId = accepted.Execution.ToString(), name = "approve", value = new Approval("ada") });
        await host.WaitForRecordsAsync(accepted.Execution, WalRecordKind.StepCompleted, 3); // reserve, wait, timer
        (await host.WaitForStateAsync(accepted.Execution, SagaState.Waiting)).CurrentStep.Should().Be("cool-off");
        host.Time.Advance(TimeSpan.FromMinutes(59));
        await host.IdleAsync();
        (await host.Engine.GetAsync(host.Tenant, accepted.Execution))!.State.Should().Be(SagaState.Waiting);
        host.Time.Advance(TimeSpan.FromMinutes(2));

        var end = await host.CompletionAsync(accepted.Execution);
        end.State.Should().Be(SagaState.Completed);
        end.Output!.Value.GetString().Should().Be("v1 approved by ada");
        (await host.RecordsAsync(accepted.Execution)).Count(r => r.Kind == WalRecordKind.SagaSignalled).Should().Be(2, "the signal and the timer");
    }

    [Fact]
    public async Task A_signal_sent_before_the_saga_waits_is_kept_for_it()
    {
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<SlowThenWait>("orders.slow"), _journal);
        var accepted = await host.SubmitAsync("orders.slow", new OrderInput("o-6", 1));
        await host.WaitForStateAsync(accepted.Execution, SagaState.Waiting); // in its timer, before the signal wait
        await host.Engine.SignalAsync(host.Tenant, accepted.Execution, "approve", JsonSerializer.SerializeToElement(new Approval("early")));
        host.Time.Advance(TimeSpan.FromMinutes(5));

        (await host.CompletionAsync(accepted.Execution)).Output!.Value.GetString().Should().Be("early");
    }

    [Fact]
    public async Task A_signal_that_never_comes_times_out_with_a_typed_error_and_compensates()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.approve", new OrderInput("o-7", 1));
        await host.WaitForStateAsync(accepted.Execution, SagaState.Waiting);

        host.Time.Advance(TimeSpan.FromDays(3));
        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Failed);
        end.Error!.Code.Should().Be("saga.signal_timeout");
        _journal.Entries.Should().Equal("reserve o-7 x1", "release res-o-7");
    }

    [Fact]
    public async Task Cancelling_a_waiting_saga_compensates_and_ends_it_cancelled()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.approve", new OrderInput("o-8", 1));
        await host.WaitForStateAsync(accepted.Execution, SagaState.Waiting);

        await host.SubmitAsync(BuiltInIntents.Cancel, new { sagaId = accepted.Execution.ToString(), reason = "customer changed their mind" });
        var end = await host.CompletionAsync(accepted.Execution);

        end.State.Should().Be(SagaState.Cancelled);
        end.Error!.Code.Should().Be("saga.cancelled");
        end.Error.Message.Should().Contain("customer changed their mind");
        _journal.Entries.Should().Equal("reserve o-8 x1", "release res-o-8");
        var again = async () => await host.Engine.CancelAsync(host.Tenant, accepted.Execution, "twice");
        (await again.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("saga.already_ended");
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_execution_and_never_starts_a_second()
    {
        await using var host = await StartAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.SubmitAsync("orders.place", new OrderInput("o-9", 1), idempotencyKey: "upload-42").AsTask()));

        results.Select(r => r.Execution).Distinct().Should().ContainSingle();
        results.Count(r => !r.Duplicate).Should().Be(1);
        await host.CompletionAsync(results[0].Execution);
        _journal.Count("reserve").Should().Be(1);
        var later = await host.SubmitAsync("orders.place", new OrderInput("o-9", 1), idempotencyKey: "upload-42");
        later.Should().Be(results.Single(r => !r.Duplicate) with { Duplicate = true });

        var otherTenant = new IdGenerator(host.Time, new SeededRandomSource(5)).Next<TenantId>();
        var other = await host.SubmitAsync("orders.place", new OrderInput("o-9", 1), idempotencyKey: "upload-42", tenant: otherTenant);
        other.Duplicate.Should().BeFalse("keys are per tenant");
        other.Execution.Should().NotBe(results[0].Execution);
    }

    [Fact]
    public async Task Events_follow_every_transition_in_order_and_resume_from_a_position()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.place", new OrderInput("o-10", 1));
        await host.CompletionAsync(accepted.Execution);

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var events = new List<ExecutionEvent>();
        await foreach (var e in host.Engine.WatchAsync(host.Tenant, accepted.Execution, accepted.Position, stop.Token))
        {
            events.Add(e);
            if (e.Kind == ExecutionEventKind.SagaCompleted)
            {
                break;
            }
        }

        events.Select(e => (e.Kind, e.Step)).Should().Equal(
            (ExecutionEventKind.IntentAccepted, null), (ExecutionEventKind.SagaStarted, null),
            (ExecutionEventKind.StepCompleted, "reserve"), (ExecutionEventKind.StepCompleted, "charge"), (ExecutionEventKind.StepCompleted, "ship"),
            (ExecutionEventKind.SagaCompleted, (string?)null));
        events.Select(e => e.Position).Should().BeInAscendingOrder();

        var resumed = new List<ExecutionEvent>();
        await foreach (var e in host.Engine.WatchAsync(host.Tenant, accepted.Execution, events[3].Position + 1, stop.Token))
        {
            resumed.Add(e);
            if (e.Kind == ExecutionEventKind.SagaCompleted)
            {
                break;
            }
        }

        resumed.Select(e => e.Step).Should().Equal("ship", null);
    }

    [Fact]
    public async Task Live_subscribers_see_the_state_transitions_of_a_failing_saga()
    {
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<PlaceOrderThenFailShipping>("orders.fail_shipping"), _journal);
        var bus = host.Services.GetRequiredService<IExecutionEventBus>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(ExecutionEventKind, SagaState)>();
        var subscribed = new TaskCompletionSource();
        var watching = Task.Run(async () =>
        {
            var subscription = bus.SubscribeAsync(host.Tenant, cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
            var first = subscription.MoveNextAsync();
            subscribed.SetResult();
            if (await first)
            {
                do
                {
                    seen.Add((subscription.Current.Kind, subscription.Current.State));
                }
                while (subscription.Current.Kind != ExecutionEventKind.SagaFailed && await subscription.MoveNextAsync());
            }
        });
        await subscribed.Task;

        var accepted = await host.SubmitAsync("orders.fail_shipping", new OrderInput("o-11", 1));
        await host.CompletionAsync(accepted.Execution);
        await watching.WaitAsync(TimeSpan.FromSeconds(20));

        seen.Select(s => s.Item2).Should().ContainInOrder(SagaState.Pending, SagaState.Running, SagaState.Compensating, SagaState.Failed);
        seen.Select(s => s.Item1).Should().ContainInOrder(ExecutionEventKind.IntentAccepted, ExecutionEventKind.SagaStarted, ExecutionEventKind.StepFailed, ExecutionEventKind.Compensating, ExecutionEventKind.SagaFailed);
    }

    [Fact]
    public async Task Many_sagas_run_in_parallel_and_each_runs_its_steps_in_order()
    {
        await using var host = await StartAsync();
        var accepted = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => host.SubmitAsync("orders.place", new OrderInput($"p{i}", 1)).AsTask()));
        var ends = await Task.WhenAll(accepted.Select(a => host.CompletionAsync(a.Execution)));

        ends.Should().OnlyContain(e => e.State == SagaState.Completed);
        foreach (var i in new[] { 0, 99, 199 })
        {
            var own = _journal.Entries.Where(e => e.EndsWith($" p{i}", StringComparison.Ordinal) || e.Contains($" p{i} ", StringComparison.Ordinal)).ToList();
            own.Should().Equal($"reserve p{i} x1", $"charge p{i}", $"ship p{i}");
        }
    }

    [Fact]
    public async Task Another_tenant_cannot_see_signal_or_cancel_a_saga()
    {
        await using var host = await StartAsync();
        var accepted = await host.SubmitAsync("orders.approve", new OrderInput("o-12", 1));
        var stranger = new IdGenerator(host.Time, new SeededRandomSource(77)).Next<TenantId>();

        (await host.Engine.GetAsync(stranger, accepted.Execution)).Should().BeNull();
        var signal = async () => await host.Engine.SignalAsync(stranger, accepted.Execution, "approve", default);
        (await signal.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("saga.not_found");
        var cancel = async () => await host.Engine.CancelAsync(stranger, accepted.Execution, "no");
        (await cancel.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("saga.not_found");
    }

    [Fact]
    public async Task The_latest_version_runs_new_intents_and_an_older_one_can_be_asked_for()
    {
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<ApproveOrder>("orders.approve", 1).AddSaga<ApproveOrderV2>("orders.approve", 2), _journal);
        var latest = await host.SubmitAsync("orders.approve", new OrderInput("o-13", 1));
        var pinned = await host.SubmitAsync("orders.approve", new OrderInput("o-14", 1), version: 1);
        await host.WaitForStateAsync(latest.Execution, SagaState.Waiting);
        await host.WaitForStateAsync(pinned.Execution, SagaState.Waiting);

        (await host.Engine.GetAsync(host.Tenant, latest.Execution))!.Version.Should().Be(2);
        (await host.Engine.GetAsync(host.Tenant, pinned.Execution))!.Version.Should().Be(1);
        await host.Engine.SignalAsync(host.Tenant, latest.Execution, "approve", JsonSerializer.SerializeToElement(new Approval("bo")));
        (await host.CompletionAsync(latest.Execution)).Output!.Value.GetString().Should().Be("v2 approved by bo");
    }

    [Fact]
    public async Task A_registration_conflict_is_refused()
    {
        var act = async () => await SagaTestHost.StartAsync(s => s.AddSaga<ApproveOrder>("orders.approve", 1).AddSaga<ApproveOrderV2>("orders.approve", 1), _journal);
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("saga.invalid_definition");
    }
}

/// <summary>Reserve, charge, then a shipping step that always fails with a domain error.</summary>
public sealed class PlaceOrderThenFailShipping : Orchestrator<OrderInput, string>
{
    private static readonly ErrorCode NoCarrier = new("shipping.no_carrier", ErrorKind.Domain, isRetryable: false, "No carrier ships there.");

    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        await saga.Step("charge", (Payments s) => s.Charge(input.OrderId), compensate: (s, c) => s.Refund(c));
        await saga.Step<string>("ship", _ => throw new SymphainyException(NoCarrier, $"No carrier for {input.OrderId}."));
        return reservation;
    }
}

/// <summary>A timer first, then a signal wait: a signal sent during the timer must not be lost.</summary>
public sealed class SlowThenWait : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        await saga.Delay("pause", TimeSpan.FromMinutes(1));
        return (await saga.WaitForSignal<Approval>("approve")).By;
    }
}
