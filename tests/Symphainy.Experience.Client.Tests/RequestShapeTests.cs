using System.Text.Json;

namespace Symphainy.Experience.Client.Tests;

public sealed class RequestShapeTests
{
    [Fact]
    public async Task Submit_sends_type_payload_version_session_and_idempotency_key_with_the_api_key()
    {
        await using var f = await ClientFixture.StartAsync();

        var accepted = await f.Client.SubmitAsync("content.analyze", new { Document = "doc_42" }, session: "ses_9", idempotencyKey: "key-1", version: 2);

        accepted.Should().Be(new Acceptance("int_1", "sag_1", 7, false));
        var request = f.Server.Requests.Should().ContainSingle().Subject;
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/v1/intents");
        request.Header("X-Api-Key").Should().Be("key_1.secret");
        request.Header("Authorization").Should().BeNull();
        request.Header("Idempotency-Key").Should().Be("key-1");
        request.Header("Content-Type").Should().StartWith("application/json");
        request.Json.GetProperty("type").GetString().Should().Be("content.analyze");
        request.Json.GetProperty("payload").GetProperty("document").GetString().Should().Be("doc_42", "payloads are camelCase like the contract");
        request.Json.GetProperty("version").GetInt32().Should().Be(2);
        request.Json.GetProperty("session").GetString().Should().Be("ses_9");
    }

    [Fact]
    public async Task An_unkeyed_submission_sends_no_idempotency_key_and_leaves_unset_fields_out()
    {
        await using var f = await ClientFixture.StartAsync();

        await f.Client.SubmitAsync("content.analyze", new { document = "doc_42" });

        var request = f.Server.Requests.Should().ContainSingle().Subject;
        request.Header("Idempotency-Key").Should().BeNull();
        request.Json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(["type", "payload"]);
    }

    [Fact]
    public async Task A_bearer_token_goes_in_the_authorization_header()
    {
        await using var f = await ClientFixture.StartAsync(o =>
        {
            o.ApiKey = null;
            o.BearerToken = "eyJhbGciOi.jwt";
        });

        var capabilities = await f.Client.ListCapabilitiesAsync();

        capabilities.Should().ContainSingle().Which.Should().Match<Capability>(c =>
            c.Name == "content.analyze" && c.Version == 2 && c.Realm == "content" && c.InputSchema!.Value.GetProperty("type").GetString() == "object");
        var request = f.Server.Requests.Should().ContainSingle().Subject;
        request.Header("Authorization").Should().Be("Bearer eyJhbGciOi.jwt");
        request.Header("X-Api-Key").Should().BeNull();
    }

    [Fact]
    public async Task Executions_signals_cancellations_and_sessions_use_the_contract_routes_and_shapes()
    {
        await using var f = await ClientFixture.StartAsync();

        var execution = await f.Client.GetExecutionAsync("sag_1");
        var events = await f.Client.GetEventsAsync("sag_1", from: 5);
        var artifacts = await f.Client.GetArtifactsAsync("sag_1");
        var signalled = await f.Client.SignalAsync("sag_1", "approval", new { approved = true });
        var cancelled = await f.Client.CancelAsync("sag_1", "no longer needed");
        var session = await f.Client.CreateSessionAsync(TimeSpan.FromMinutes(60), new Dictionary<string, string> { ["user"] = "u1" });
        var read = await f.Client.GetSessionAsync("ses_1");
        await f.Client.EndSessionAsync("ses_1");

        execution.Should().Match<Execution>(e => e.Id == "sag_1" && e.Definition == "content.analyze" && e.Version == 2
            && e.State == ExecutionState.Running && e.CompletedSteps == 1 && e.CurrentStep == "summarize" && !e.HasEnded);
        execution.Output!.Value.GetProperty("words").GetInt32().Should().Be(42);
        events.Select(e => (e.Position, e.Kind)).Should().Equal((5, ExecutionEventKind.SagaStarted), (6, ExecutionEventKind.StepCompleted));
        events[0].Timestamp.Should().Be(new DateTimeOffset(2026, 1, 2, 3, 4, 10, TimeSpan.Zero));
        artifacts.Should().ContainSingle().Which.GetProperty("contentHash").GetString().Should().Be("ab12");
        signalled.Should().Be(11);
        cancelled.Should().Be(12);
        session.Should().Match<Session>(s => s.Id == "ses_1" && !s.Ended && s.ExpiresAt != null);
        read.Id.Should().Be("ses_1");

        var requests = f.Server.Requests;
        requests.Select(r => $"{r.Method} {r.Path}{r.Query}").Should().Equal(
            "GET /v1/executions/sag_1",
            "GET /v1/executions/sag_1/events?from=5",
            "GET /v1/executions/sag_1/artifacts",
            "POST /v1/executions/sag_1/signals/approval",
            "POST /v1/executions/sag_1/cancel",
            "POST /v1/sessions",
            "GET /v1/sessions/ses_1",
            "DELETE /v1/sessions/ses_1");
        requests[3].Json.GetProperty("approved").GetBoolean().Should().BeTrue();
        requests[4].Json.GetProperty("reason").GetString().Should().Be("no longer needed");
        requests[5].Json.GetProperty("ttlSeconds").GetInt64().Should().Be(3600);
        requests[5].Json.GetProperty("attributes").GetProperty("user").GetString().Should().Be("u1");
        requests.Should().OnlyContain(r => r.Header("X-Api-Key") == "key_1.secret");
    }

    [Fact]
    public async Task A_client_constructed_over_a_plain_http_client_works_without_dependency_injection()
    {
        await using var server = await FakeServer.StartAsync();
        using var http = new HttpClient();
        var client = new SymphainyClient(http, new SymphainyClientOptions { BaseAddress = server.BaseAddress, ApiKey = "key_1.secret" });

        var execution = await client.GetExecutionAsync("sag_7");

        execution.Id.Should().Be("sag_7");
        server.Requests.Should().ContainSingle().Which.Header("X-Api-Key").Should().Be("key_1.secret");
    }

    [Fact]
    public void Options_refuse_both_credentials_and_a_missing_address()
    {
        using var http = new HttpClient();
        var both = () => new SymphainyClient(http, new SymphainyClientOptions { BaseAddress = new Uri("http://localhost/"), ApiKey = "a.b", BearerToken = "jwt" });
        var noAddress = () => new SymphainyClient(http, new SymphainyClientOptions { ApiKey = "a.b" });

        both.Should().Throw<InvalidOperationException>().WithMessage("*not both*");
        noAddress.Should().Throw<InvalidOperationException>().WithMessage("*BaseAddress*");
    }

    [Fact]
    public void Contract_json_reads_string_enums_and_typed_string_ids()
    {
        var json = """{"position":3,"kind":"SagaCompleted","execution":"sag_1","state":"Completed","timestamp":"2026-01-02T03:04:05Z"}""";

        var e = JsonSerializer.Deserialize<ExecutionEvent>(json, SymphainyJson.Options)!;

        e.Should().Be(new ExecutionEvent(3, ExecutionEventKind.SagaCompleted, "sag_1", ExecutionState.Completed, null, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        e.IsEnd.Should().BeTrue();
        JsonSerializer.Serialize(e, SymphainyJson.Options).Should().Contain("\"kind\":\"SagaCompleted\"").And.Contain("\"execution\":\"sag_1\"");
    }
}
