using System.Diagnostics;

namespace Symphainy.Experience.Client.Tests;

public sealed class RetryTests
{
    [Fact]
    public async Task A_get_is_retried_after_transient_failures()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("GET", "/v1/executions/sag_1", 2, 503, "host.not_started", retryable: true);

        var execution = await f.Client.GetExecutionAsync("sag_1");

        execution.Id.Should().Be("sag_1");
        f.Server.Count("GET", "/v1/executions/sag_1").Should().Be(3);
    }

    [Fact]
    public async Task A_get_gives_up_after_the_retries_allowed_with_the_last_problem()
    {
        await using var f = await ClientFixture.StartAsync(o => o.MaxRetryAttempts = 2);
        f.Server.FailWithProblem("GET", "/v1/sessions/ses_1", 5, 503, "host.stopping", retryable: true);

        var ex = (await FluentActions.Awaiting(() => f.Client.GetSessionAsync("ses_1")).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("host.stopping");
        f.Server.Count("GET", "/v1/sessions/ses_1").Should().Be(3, "one attempt and two retries");
    }

    [Fact]
    public async Task A_keyed_submission_is_retried_honouring_retry_after()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/intents", 1, 429, "traffic.rate_limited", retryable: true, retryAfterHeader: 1);
        var clock = Stopwatch.StartNew();

        var accepted = await f.Client.SubmitAsync("content.analyze", new { document = "doc_42" }, idempotencyKey: "key-7");

        accepted.Execution.Should().Be("sag_1");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(900), "the retry waited for Retry-After (1 s), not the 10 ms backoff");
        var attempts = f.Server.Requests.Where(r => r.Path == "/v1/intents").ToArray();
        attempts.Should().HaveCount(2);
        attempts.Should().OnlyContain(r => r.Header("Idempotency-Key") == "key-7" && r.Json.GetProperty("payload").GetProperty("document").GetString() == "doc_42",
            "the retry is the same request, so the server recognises it as a repeat");
    }

    [Fact]
    public async Task A_keyed_submission_is_retried_after_a_503()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/intents", 2, 503, "host.not_started", retryable: true);

        await f.Client.SubmitAsync("content.analyze", new { }, idempotencyKey: "key-8");

        f.Server.Count("POST", "/v1/intents").Should().Be(3);
    }

    [Fact]
    public async Task An_unkeyed_submission_is_never_retried()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/intents", 1, 503, "host.not_started", retryable: true);

        var ex = (await FluentActions.Awaiting(() => f.Client.SubmitAsync("content.analyze", new { })).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("host.not_started");
        ex.Retryable.Should().BeTrue("the caller may resubmit, knowing it could start a second execution");
        f.Server.Count("POST", "/v1/intents").Should().Be(1, "without a key a repeat would be a second intent");
    }

    [Fact]
    public async Task Signals_and_cancellations_are_never_retried()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/executions/sag_1/signals/go", 1, 503, "host.not_started", retryable: true);
        f.Server.FailWithProblem("POST", "/v1/executions/sag_1/cancel", 1, 503, "host.not_started", retryable: true);

        await FluentActions.Awaiting(() => f.Client.SignalAsync("sag_1", "go", true)).Should().ThrowAsync<SymphainyClientException>();
        await FluentActions.Awaiting(() => f.Client.CancelAsync("sag_1", "stop")).Should().ThrowAsync<SymphainyClientException>();

        f.Server.Count("POST", "/v1/executions/sag_1/signals/go").Should().Be(1);
        f.Server.Count("POST", "/v1/executions/sag_1/cancel").Should().Be(1);
    }

    [Fact]
    public async Task An_attempt_that_gets_no_answer_times_out_and_a_get_is_tried_again()
    {
        await using var f = await ClientFixture.StartAsync(o => o.AttemptTimeout = TimeSpan.FromMilliseconds(300));
        f.Server.Hang("GET", "/v1/capabilities", 1);

        var capabilities = await f.Client.ListCapabilitiesAsync();

        capabilities.Should().ContainSingle();
        f.Server.Count("GET", "/v1/capabilities").Should().Be(2);
    }

    [Fact]
    public async Task A_request_that_never_gets_an_answer_ends_with_a_typed_timeout()
    {
        await using var f = await ClientFixture.StartAsync(o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(200);
            o.MaxRetryAttempts = 1;
        });
        f.Server.Hang("GET", "/v1/sessions/ses_1", 2);

        var ex = (await FluentActions.Awaiting(() => f.Client.GetSessionAsync("ses_1")).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be(SymphainyClientErrors.Unavailable);
        ex.Retryable.Should().BeTrue();
        f.Server.Count("GET", "/v1/sessions/ses_1").Should().Be(2);
    }

    [Theory]
    [InlineData("GET", "http://h/v1/executions/sag_1", null, true)]
    [InlineData("DELETE", "http://h/v1/sessions/ses_1", null, true)]
    [InlineData("POST", "http://h/v1/intents", "k", true)]
    [InlineData("POST", "http://h/v1/intents", null, false)]
    [InlineData("POST", "http://h/v1/executions/sag_1/signals/go", "k", false)]
    [InlineData("POST", "http://h/v1/sessions", null, false)]
    public void Only_requests_safe_to_repeat_are_retried(string method, string uri, string? key, bool safe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), uri);
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        Microsoft.Extensions.DependencyInjection.SymphainyClientServiceCollectionExtensions.IsSafeToRepeat(request).Should().Be(safe);
    }
}
