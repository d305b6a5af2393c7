using Symphainy.Realms;
using Symphainy.Events;
using Symphainy.Sagas;
using Xunit.Sdk;

namespace Symphainy.Testing.Tests;

[Collection(nameof(Gated))] // the gate is static: its tests do not run in parallel
public sealed class TestHostTests
{
    private static Task<SymphainyTestHost> StartAsync(Action<SymphainyTestHostOptions>? options = null) =>
        SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>(), options);

    [Fact]
    public async Task A_timer_fires_when_the_test_advances_the_clock_and_not_before()
    {
        await using var host = await StartAsync();
        var run = await host.SubmitAsync("shop.checkout", new Order("book", 2));

        var waiting = () => run.WaitForEndAsync();
        (await waiting.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("testing.execution_did_not_end");
        run.State.Should().Be(SagaState.Waiting);

        await host.AdvanceAsync(TimeSpan.FromMinutes(4));
        (await host.Engine.GetAsync(host.Tenant, run.Id))!.State.Should().Be(SagaState.Waiting, "the cool-off is five minutes");

        await host.AdvanceAsync(TimeSpan.FromMinutes(1));
        await run.WaitForEndAsync();
        run.Should().HaveCompleted().And.HaveStepsInOrder("reserve", "charge", "cool-off", "ship");
        run.Output<Receipt>().Should().Be(new Receipt("res-book-2", "chg-20", null));
        run.Should().HaveEmittedEventsInOrder(ExecutionEventKind.IntentAccepted, ExecutionEventKind.SagaStarted, ExecutionEventKind.Waiting, ExecutionEventKind.Signalled, ExecutionEventKind.StepCompleted, ExecutionEventKind.SagaCompleted);
    }

    [Fact]
    public async Task Waiting_for_an_execution_that_cannot_end_names_it_its_type_its_state_and_its_last_recorded_step()
    {
        await using var host = await StartAsync();
        var run = await host.SubmitAsync("shop.checkout", new Order("book", 1, NeedsApproval: true));

        var waiting = () => run.WaitForEndAsync();

        var error = (await waiting.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("testing.execution_did_not_end");
        error.Message.Should().Be(
            $"Execution {run.Id} (shop.checkout) did not end: it is Waiting in step 'approve'; the engine is idle, so it waits for something from outside: " +
            "advance host.Time past a timer, send the signal it waits for, or let an admission through. Last recorded step: step 2 signal wait 'approve' (log position 5).");
    }

    [Fact]
    public async Task A_step_still_running_at_the_timeout_is_named_too()
    {
        Gated.Reset();
        await using var host = await StartAsync();
        var run = await host.SubmitAsync("shop.gated", new Order("lamp", 1));
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        var waiting = () => run.WaitForEndAsync(TimeSpan.FromMilliseconds(200));

        var error = (await waiting.Should().ThrowAsync<SymphainyException>()).Which;
        error.Message.Should().StartWith($"Execution {run.Id} (shop.gated) did not end: it is Running in step 'pack'; a step was still running after 0.2 s.")
            .And.EndWith("Last recorded step: step 0 step 'reserve' (log position 3).");
        Gated.Open.Release();
        (await run.WaitForEndAsync()).Should().HaveCompleted();
    }

    [Fact]
    public async Task A_signal_lets_a_waiting_execution_continue_with_its_value()
    {
        await using var host = await StartAsync();
        var run = await host.SubmitAsync("shop.checkout", new Order("desk", 1, NeedsApproval: true));
        await host.WhenIdleAsync();

        await host.SignalAsync(run, "approve", new Approval("ada"));
        await host.AdvanceAsync(TimeSpan.FromMinutes(5));

        (await run.WaitForEndAsync()).Should().HaveCompleted().And.HaveStepsInOrder("reserve", "charge", "approve", "cool-off", "ship");
        run.Output<Receipt>().Approver.Should().Be("ada");
    }

    [Fact]
    public async Task A_signal_that_never_comes_times_out_and_the_completed_steps_are_compensated_in_reverse()
    {
        await using var host = await StartAsync();
        var run = await host.SubmitAsync("shop.checkout", new Order("desk", 1, NeedsApproval: true));

        await host.AdvanceAsync(TimeSpan.FromHours(1));

        (await run.WaitForEndAsync()).Should().HaveFailedWith("saga.signal_timeout").And.HaveCompensatedInOrder("charge", "reserve");
        run.Should().HaveEmittedEventsInOrder(ExecutionEventKind.Waiting, ExecutionEventKind.StepFailed, ExecutionEventKind.Compensating, ExecutionEventKind.SagaFailed);
    }

    [Fact]
    public async Task A_service_made_to_fail_twice_is_retried_on_the_fake_clock_and_then_succeeds()
    {
        await using var host = await StartAsync();
        host.Faults.FailService<Payments>(times: 2);
        var run = await host.SubmitAsync("shop.checkout", new Order("chair", 3));

        await host.AdvanceAsync(TimeSpan.FromSeconds(1)); // first backoff
        await host.AdvanceAsync(TimeSpan.FromSeconds(2)); // second, doubled
        await host.AdvanceAsync(TimeSpan.FromMinutes(5)); // the cool-off

        (await run.WaitForEndAsync()).Should().HaveCompleted().And.HaveRetried("charge", 2).And.HaveRetried("reserve", 0);
        host.Faults.Fired<Payments>().Should().Be(2);
        run.History.Failures.Should().AllSatisfy(f => f.Error.Code.Should().Be("testing.injected_fault"));
        run.Should().HaveEmittedEventsInOrder(ExecutionEventKind.StepCompleted, ExecutionEventKind.StepFailed, ExecutionEventKind.StepFailed, ExecutionEventKind.StepCompleted, ExecutionEventKind.SagaCompleted);
    }

    [Fact]
    public async Task A_service_that_fails_more_often_than_the_policy_retries_fails_the_execution_and_compensates()
    {
        await using var host = await StartAsync();
        host.Faults.FailService<Payments>(times: 5, () => new InvalidOperationException("card network down"));
        var run = await host.SubmitAsync("shop.checkout", new Order("chair", 3));

        await host.AdvanceAsync(TimeSpan.FromSeconds(1));
        await host.AdvanceAsync(TimeSpan.FromSeconds(2));

        (await run.WaitForEndAsync()).Should().HaveFailedWith("step.unhandled_exception").And.HaveRetried("charge", 2).And.HaveCompensatedInOrder("reserve");
        run.Error!.Message.Should().Contain("card network down");
        host.Faults.Fired<Payments>().Should().Be(3, "the default policy makes three attempts");
    }

    [Fact]
    public async Task A_domain_error_is_not_retried()
    {
        await using var host = await StartAsync();

        var run = await host.RunAsync("shop.checkout", new Order("chair", 0));

        run.Should().HaveFailedWith("shop.invalid_quantity").And.HaveRetried("charge", 0).And.HaveCompensatedInOrder("reserve");
    }

    [Fact]
    public async Task An_agent_output_cites_only_the_facts_it_gathered_and_a_failing_agent_is_retried()
    {
        await using var host = await StartAsync();
        host.Faults.FailAgent<OrderExplainer>(times: 1);
        var run = await host.SubmitAsync("shop.explain", new Order("pen", 4));
        await host.AdvanceAsync(TimeSpan.FromSeconds(1));

        (await run.WaitForEndAsync()).Should().HaveCompleted().And.HaveRetried("explain", 1).And.HaveAgentOutputCitingItsFacts("explain");
        run.Output<string>().Should().Be("4 x pen");
        run.History.AgentOutput<Symphainy.Agents.AgentArtifact<Explanation>>("explain")!.Facts.Select(f => f.Source).Should().Equal("order#item", "order#quantity");
        run.History.Failures.Single().Error.Kind.Should().Be(ErrorKind.Agent);
    }

    [Fact]
    public async Task The_security_guard_is_active_and_its_policy_is_configurable()
    {
        await using var host = await StartAsync(o => o.Security = security => security.CapabilityRoles["shop.checkout"] = ["buyer"]);

        var anonymous = () => host.SubmitAsync("shop.checkout", new Order("mug", 1), new SubmitOptions { Anonymous = true });
        (await anonymous.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("security.unauthenticated");
        var withoutRole = () => host.SubmitAsync("shop.checkout", new Order("mug", 1));
        (await withoutRole.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("security.forbidden");

        var run = await host.SubmitAsync("shop.checkout", new Order("mug", 1), new SubmitOptions { Roles = ["buyer"] });
        await host.AdvanceAsync(TimeSpan.FromMinutes(5));
        (await run.WaitForEndAsync()).Should().HaveCompleted();
    }

    [Fact]
    public async Task Intents_carry_their_tenant_and_session()
    {
        await using var host = await StartAsync();
        var other = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f99");
        var session = await host.StartSessionAsync(other);

        var run = await host.SubmitAsync("shop.explain", new Order("pen", 1), new SubmitOptions { Tenant = other, Session = session, IdempotencyKey = "pen-1" });
        var again = await host.SubmitAsync("shop.explain", new Order("pen", 1), new SubmitOptions { Tenant = other, Session = session, IdempotencyKey = "pen-1" });

        (await run.WaitForEndAsync()).Should().HaveCompleted();
        run.Tenant.Should().Be(other);
        run.History.Records.Should().OnlyContain(r => r.Tenant == other && r.Session == session);
        again.Duplicate.Should().BeTrue();
        again.Id.Should().Be(run.Id);
        (await host.Engine.GetAsync(host.Tenant, run.Id)).Should().BeNull("another tenant does not see it");
    }

    [Fact]
    public async Task Failed_assertions_say_what_was_recorded()
    {
        await using var host = await StartAsync();
        var run = await host.RunAsync("shop.checkout", new Order("chair", 0));

        var steps = () => run.Should().HaveStepsInOrder("reserve", "charge", "ship");
        steps.Should().Throw<XunitException>().Which.Message.Should()
            .Contain($"Expected execution {run.Id} to have recorded the steps {{\"reserve\", \"charge\", \"ship\"}} in this order, but it recorded {{\"reserve\"}}.")
            .And.Contain("StepFailed 1 'charge' attempt 1 (final): shop.invalid_quantity: Quantity must be positive.");
        var completed = () => run.Should().HaveCompleted("the quantity is {0}", 0);
        completed.Should().Throw<XunitException>().Which.Message.Should().StartWith($"Expected execution {run.Id} to have completed because the quantity is 0, but it is Failed.");
        var retried = () => run.Should().HaveRetried("charge", 1);
        retried.Should().Throw<XunitException>().Which.Message.Should().StartWith($"Expected step \"charge\" of execution {run.Id} to have been retried 1 time(s), but it was retried 0 time(s).");
    }
}
