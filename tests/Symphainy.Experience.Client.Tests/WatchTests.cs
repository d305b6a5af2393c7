namespace Symphainy.Experience.Client.Tests;

public sealed class WatchTests
{
    [Fact]
    public async Task A_watch_sends_the_stream_the_resume_position_and_the_credentials_and_yields_events_in_order()
    {
        await using var f = await ClientFixture.StartAsync();
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_1"), from: 5).GetAsyncEnumerator();

        var next = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        watch.Query("execution").Should().Be("sag_1");
        watch.Query("session").Should().BeNull();
        watch.From.Should().Be(5);
        watch.Header("X-Api-Key").Should().Be("key_1.secret");
        await watch.SendEventAsync(5, "SagaStarted");
        await watch.SendEventAsync(6, "StepCompleted");

        (await next).Should().Match<ExecutionEvent>(e => e.Position == 5 && e.Kind == ExecutionEventKind.SagaStarted && e.Execution == "sag_1" && e.Step == "step5");
        (await NextAsync(events)).Position.Should().Be(6);
    }

    [Fact]
    public async Task Session_and_tenant_streams_are_asked_for_by_query()
    {
        await using var f = await ClientFixture.StartAsync(o =>
        {
            o.ApiKey = null;
            o.BearerToken = "jwt";
        });

        await using (var session = f.Client.WatchAsync(WatchScope.ForSession("ses_3")).GetAsyncEnumerator())
        {
            var pending = NextAsync(session);
            var watch = await f.Server.NextWatchAsync();
            watch.Query("session").Should().Be("ses_3");
            watch.From.Should().BeNull("no position was given: the server's default");
            watch.Header("Authorization").Should().Be("Bearer jwt");
            await watch.SendEventAsync(1);
            await pending;
        }

        await using var tenant = f.Client.WatchAsync(WatchScope.Tenant, from: 1).GetAsyncEnumerator();
        var first = NextAsync(tenant);
        var tenantWatch = await f.Server.NextWatchAsync();
        tenantWatch.Query("execution").Should().BeNull();
        tenantWatch.Query("session").Should().BeNull();
        await tenantWatch.SendEventAsync(1);
        (await first).Position.Should().Be(1);
    }

    [Fact]
    public async Task A_dropped_connection_is_resumed_from_the_last_position_plus_one_with_no_gap_and_no_duplicate()
    {
        await using var f = await ClientFixture.StartAsync();
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_1")).GetAsyncEnumerator();
        var received = new List<long>();

        var pending = NextAsync(events);
        var first = await f.Server.NextWatchAsync();
        await first.SendEventAsync(1);
        await first.SendEventAsync(2);
        await first.SendEventAsync(3);
        received.Add((await pending).Position);
        received.Add((await NextAsync(events)).Position);
        received.Add((await NextAsync(events)).Position);

        pending = NextAsync(events);
        first.Drop();
        var second = await f.Server.NextWatchAsync();
        second.From.Should().Be(4, "the client resumes after the last position it received");
        await second.SendEventAsync(3); // a resent event is not yielded twice
        await second.SendEventAsync(4);
        await second.SendEventAsync(5);
        received.Add((await pending).Position);
        received.Add((await NextAsync(events)).Position);

        received.Should().Equal(1, 2, 3, 4, 5);
        f.Server.WatchAttempts.Should().Be(2);
    }

    [Fact]
    public async Task Heartbeats_keep_a_quiet_connection_and_silence_past_the_idle_timeout_reconnects()
    {
        await using var f = await ClientFixture.StartAsync(o => o.WatchIdleTimeout = TimeSpan.FromSeconds(1));
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_1")).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        await watch.SendEventAsync(1);
        (await pending).Position.Should().Be(1);

        // Two seconds of heartbeats every 100 ms: twice the idle timeout without an event, yet the connection is kept.
        pending = NextAsync(events);
        for (var i = 0; i < 20; i++)
        {
            await watch.SendHeartbeatAsync(1);
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        await watch.SendEventAsync(2);
        (await pending).Position.Should().Be(2);
        f.Server.WatchAttempts.Should().Be(1, "heartbeats reset the idle timeout");

        // Then silence: the client takes the connection for dead and resumes on a new one.
        pending = NextAsync(events);
        var second = await f.Server.NextWatchAsync();
        second.From.Should().Be(3);
        await second.SendEventAsync(3);
        (await pending).Position.Should().Be(3);
    }

    [Fact]
    public async Task A_watch_gives_up_with_a_typed_error_after_the_reconnects_allowed()
    {
        await using var f = await ClientFixture.StartAsync(o => o.WatchMaxReconnectAttempts = 3);
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_1")).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        await watch.SendEventAsync(1);
        await watch.SendEventAsync(2);
        await pending;
        await NextAsync(events);

        f.Server.RefuseWatchesWith = 503;
        pending = NextAsync(events);
        watch.Drop();

        var ex = (await FluentActions.Awaiting(() => pending).Should().ThrowAsync<SymphainyClientException>()).Which;
        ex.Code.Should().Be(SymphainyClientErrors.WatchReconnectExhausted);
        ex.Retryable.Should().BeTrue();
        ex.Message.Should().Contain("resume from position 3");
        f.Server.WatchAttempts.Should().Be(1 + 3, "the first connection and three reconnects");
    }

    [Fact]
    public async Task A_refused_upgrade_is_not_retried()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.RefuseWatchesWith = 401;

        var ex = (await FluentActions.Awaiting(() => NextAsync(f.Client.WatchAsync(WatchScope.Tenant).GetAsyncEnumerator()))
            .Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("security.unauthenticated");
        ex.Status.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        f.Server.WatchAttempts.Should().Be(1);
    }

    [Fact]
    public async Task An_error_message_ends_the_watch_with_its_code()
    {
        await using var f = await ClientFixture.StartAsync();
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_other")).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        await watch.SendErrorAsync("security.forbidden");

        var ex = (await FluentActions.Awaiting(() => pending).Should().ThrowAsync<SymphainyClientException>()).Which;
        ex.Code.Should().Be("security.forbidden");
        await watch.Closed.WaitAsync(Timeouts.Default);
        f.Server.WatchAttempts.Should().Be(1);
    }

    [Fact]
    public async Task A_subscriber_dropped_for_being_slow_resumes_where_it_was()
    {
        await using var f = await ClientFixture.StartAsync();
        await using var events = f.Client.WatchAsync(WatchScope.Tenant).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        await watch.SendEventAsync(10);
        await pending;
        pending = NextAsync(events);
        await watch.SendErrorAsync("postoffice.subscriber_too_slow");

        var second = await f.Server.NextWatchAsync();
        second.From.Should().Be(11);
        await second.SendEventAsync(11);
        (await pending).Position.Should().Be(11);
    }

    [Fact]
    public async Task Cancellation_ends_the_watch_and_closes_the_socket()
    {
        await using var f = await ClientFixture.StartAsync();
        using var cancel = new CancellationTokenSource();
        await using var events = f.Client.WatchAsync(WatchScope.ForExecution("sag_1"), cancellationToken: cancel.Token).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        await watch.SendEventAsync(1);
        await pending;

        pending = NextAsync(events);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<OperationCanceledException>();
        await watch.Closed.WaitAsync(Timeouts.Default);
        f.Server.WatchAttempts.Should().Be(1, "a cancelled watch does not reconnect");
    }

    [Fact]
    public async Task Cancellation_during_a_reconnect_backoff_ends_the_watch()
    {
        await using var f = await ClientFixture.StartAsync(o =>
        {
            o.WatchReconnectDelay = TimeSpan.FromMinutes(5);
            o.WatchReconnectMaxDelay = TimeSpan.FromMinutes(5);
        });
        using var cancel = new CancellationTokenSource();
        await using var events = f.Client.WatchAsync(WatchScope.Tenant, cancellationToken: cancel.Token).GetAsyncEnumerator();

        var pending = NextAsync(events);
        var watch = await f.Server.NextWatchAsync();
        watch.Drop();
        await watch.Closed.WaitAsync(Timeouts.Default);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<OperationCanceledException>();
        f.Server.WatchAttempts.Should().Be(1);
    }

    [Fact]
    public async Task Wait_for_end_watches_from_the_start_until_an_end_event_then_reads_the_execution()
    {
        await using var f = await ClientFixture.StartAsync();
        var ended = false;
        f.Server.ExecutionState = _ => Volatile.Read(ref ended) ? "Completed" : "Running";

        var wait = f.Client.WaitForEndAsync("sag_1");
        var watch = await f.Server.NextWatchAsync();
        watch.Query("execution").Should().Be("sag_1");
        watch.From.Should().Be(0, "from the start, so an end recorded before the watch opened is not missed");
        await watch.SendEventAsync(1, "SagaStarted");
        await watch.SendEventAsync(2, "StepCompleted");
        Volatile.Write(ref ended, true);
        await watch.SendEventAsync(3, "SagaCompleted", state: "Completed");

        var execution = await wait.WaitAsync(Timeouts.Default);
        execution.State.Should().Be(ExecutionState.Completed);
        await watch.Closed.WaitAsync(Timeouts.Default);
    }

    [Fact]
    public async Task Wait_for_end_of_an_ended_execution_does_not_watch()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.ExecutionState = _ => "Failed";

        var execution = await f.Client.WaitForEndAsync("sag_1").WaitAsync(Timeouts.Default);

        execution.State.Should().Be(ExecutionState.Failed);
        f.Server.WatchAttempts.Should().Be(0);
    }

    [Fact]
    public async Task Reconnect_delays_double_up_to_the_maximum_with_jitter_taking_at_most_half_off()
    {
        await using var server = await FakeServer.StartAsync();
        using var http = new HttpClient();
        var client = new SymphainyClient(http, new SymphainyClientOptions
        {
            BaseAddress = server.BaseAddress,
            WatchReconnectDelay = TimeSpan.FromMilliseconds(100),
            WatchReconnectMaxDelay = TimeSpan.FromSeconds(1),
        });

        for (var attempt = 1; attempt <= 40; attempt++)
        {
            var ceiling = Math.Min(100 * Math.Pow(2, attempt - 1), 1000);
            client.Backoff(attempt).TotalMilliseconds.Should().BeInRange(ceiling / 2, ceiling);
        }
    }

    private static async Task<ExecutionEvent> NextAsync(IAsyncEnumerator<ExecutionEvent> events)
    {
        (await events.MoveNextAsync().AsTask().WaitAsync(Timeouts.Default)).Should().BeTrue();
        return events.Current;
    }
}
