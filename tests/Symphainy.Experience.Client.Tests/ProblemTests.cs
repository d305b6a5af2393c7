using System.Net;

namespace Symphainy.Experience.Client.Tests;

public sealed class ProblemTests
{
    [Fact]
    public async Task A_400_problem_becomes_a_typed_exception_with_its_code_and_detail()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/intents", 1, 400, "intake.invalid_payload");

        var act = () => f.Client.SubmitAsync("content.analyze", new { }, idempotencyKey: "k");

        var ex = (await act.Should().ThrowAsync<SymphainyClientException>()).Which;
        ex.Code.Should().Be("intake.invalid_payload");
        ex.Status.Should().Be(HttpStatusCode.BadRequest);
        ex.Retryable.Should().BeFalse();
        ex.RetryAfter.Should().BeNull();
        ex.Message.Should().Be("detail of intake.invalid_payload");
        ex.Problem!.Type.Should().Be("urn:symphainy:error:intake.invalid_payload");
        f.Server.Count("POST", "/v1/intents").Should().Be(1, "a 400 is not transient, even for a keyed submission");
    }

    [Fact]
    public async Task A_401_is_unauthenticated_and_not_retried()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("GET", "/v1/capabilities", 1, 401, "security.unauthenticated");

        var ex = (await FluentActions.Awaiting(() => f.Client.ListCapabilitiesAsync()).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("security.unauthenticated");
        ex.Status.Should().Be(HttpStatusCode.Unauthorized);
        f.Server.Count("GET", "/v1/capabilities").Should().Be(1);
    }

    [Fact]
    public async Task A_404_is_not_found()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("GET", "/v1/executions/sag_other", 1, 404, "saga.not_found");

        var ex = (await FluentActions.Awaiting(() => f.Client.GetExecutionAsync("sag_other")).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("saga.not_found");
        ex.Status.Should().Be(HttpStatusCode.NotFound);
        ex.Retryable.Should().BeFalse();
    }

    [Fact]
    public async Task A_429_carries_retryable_and_the_retry_after_header()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/intents", 1, 429, "traffic.rate_limited", retryable: true, retryAfterHeader: 7, retryAfterSeconds: 7);

        var ex = (await FluentActions.Awaiting(() => f.Client.SubmitAsync("content.analyze", new { })).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("traffic.rate_limited");
        ex.Status.Should().Be(HttpStatusCode.TooManyRequests);
        ex.Retryable.Should().BeTrue();
        ex.RetryAfter.Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Retry_after_comes_from_the_problem_when_the_header_is_missing()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithProblem("POST", "/v1/executions/sag_1/cancel", 1, 503, "host.stopping", retryable: true, retryAfterSeconds: 2.5);

        var ex = (await FluentActions.Awaiting(() => f.Client.CancelAsync("sag_1", "stop")).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be("host.stopping");
        ex.RetryAfter.Should().Be(TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task An_error_without_problem_details_is_still_typed()
    {
        await using var f = await ClientFixture.StartAsync();
        f.Server.FailWithText("POST", "/v1/executions/sag_1/signals/go", 1, 502, "<html>Bad Gateway</html>");

        var ex = (await FluentActions.Awaiting(() => f.Client.SignalAsync("sag_1", "go", 1)).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be(SymphainyClientErrors.UnexpectedResponse);
        ex.Status.Should().Be(HttpStatusCode.BadGateway);
        ex.Retryable.Should().BeTrue("a 502 is transient");
        ex.Problem.Should().BeNull();
    }

    [Fact]
    public async Task An_unreachable_server_is_a_typed_retryable_error()
    {
        var server = await FakeServer.StartAsync();
        var address = server.BaseAddress;
        await server.DisposeAsync();
        using var http = new HttpClient();
        var client = new SymphainyClient(http, new SymphainyClientOptions { BaseAddress = address });

        var ex = (await FluentActions.Awaiting(() => client.GetSessionAsync("ses_1")).Should().ThrowAsync<SymphainyClientException>()).Which;

        ex.Code.Should().Be(SymphainyClientErrors.Unavailable);
        ex.Retryable.Should().BeTrue();
    }
}
