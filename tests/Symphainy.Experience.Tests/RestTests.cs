using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Symphainy.Sagas;

namespace Symphainy.Experience.Tests;

public sealed class RestTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task<SagaId> SubmitAsync(HttpClient client, string type, object payload, string? idempotencyKey = null, string? session = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ExperienceHost.Json(new { type, payload, session }) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = await BodyAsync(response);
        response.Headers.Location!.ToString().Should().Be($"/v1/executions/{body.GetProperty("execution").GetString()}");
        return SagaId.Parse(body.GetProperty("execution").GetString()!);
    }

    [Fact]
    public async Task A_session_is_created_read_and_ended_and_an_ended_session_takes_no_more_intents()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        using var created = await client.PostAsync("/v1/sessions", ExperienceHost.Json(new { ttlSeconds = 600, attributes = new { channel = "web" } }));
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var session = await BodyAsync(created);
        var id = session.GetProperty("id").GetString()!;
        id.Should().StartWith("ses_");
        created.Headers.Location!.ToString().Should().Be($"/v1/sessions/{id}");
        session.GetProperty("ended").GetBoolean().Should().BeFalse();

        var read = await BodyAsync(await client.GetAsync($"/v1/sessions/{id}"));
        read.GetProperty("id").GetString().Should().Be(id);
        read.GetProperty("expiresAt").GetDateTimeOffset().Should().BeAfter(read.GetProperty("createdAt").GetDateTimeOffset());

        // An intent in the session runs.
        var execution = await SubmitAsync(client, "demo.echo", new { id = 1 }, session: id);
        (await host.Engine.WaitForEndAsync(host.Alice, execution).WaitAsync(Patience)).State.Should().Be(SagaState.Completed);

        (await client.DeleteAsync($"/v1/sessions/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await BodyAsync(await client.GetAsync($"/v1/sessions/{id}"))).GetProperty("ended").GetBoolean().Should().BeTrue();

        using var late = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 2 } }) };
        late.Headers.Add("X-Symphainy-Session", id);
        using var refused = await client.SendAsync(late);
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await BodyAsync(refused)).GetProperty("code").GetString().Should().Be("session.ended");

        // Another tenant does not find it.
        using var bob = host.Client(ExperienceHost.BobKey);
        using var hidden = await bob.GetAsync($"/v1/sessions/{id}");
        hidden.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await BodyAsync(hidden)).GetProperty("code").GetString().Should().Be("session.not_found");
    }

    [Fact]
    public async Task A_submitted_intent_is_accepted_runs_to_completion_and_its_execution_events_are_the_logs()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        var execution = await SubmitAsync(client, "demo.echo", new { id = 21 });
        (await host.Engine.WaitForEndAsync(host.Alice, execution).WaitAsync(Patience)).State.Should().Be(SagaState.Completed);

        var body = await BodyAsync(await client.GetAsync($"/v1/executions/{execution}"));
        body.GetProperty("id").GetString().Should().Be(execution.ToString());
        body.GetProperty("state").GetString().Should().Be("Completed");
        body.GetProperty("definition").GetString().Should().NotBeNullOrEmpty();
        body.GetProperty("completedSteps").GetInt32().Should().Be(1);
        body.GetProperty("output").GetInt32().Should().Be(21);

        var events = await BodyAsync(await client.GetAsync($"/v1/executions/{execution}/events"));
        events.EnumerateArray().Select(e => e.GetProperty("position").GetInt64()).Should().Equal(await host.LoggedPositionsAsync(host.Alice, execution));
        events.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).Should().StartWith("IntentAccepted").And.EndWith("SagaCompleted");
        events.EnumerateArray().Should().OnlyContain(e => e.GetProperty("execution").GetString() == execution.ToString());

        var later = events.EnumerateArray().Last().GetProperty("position").GetInt64();
        var tail = await BodyAsync(await client.GetAsync($"/v1/executions/{execution}/events?from={later}"));
        tail.GetArrayLength().Should().Be(1, "from resumes at a position");
    }

    [Fact]
    public async Task A_duplicate_with_the_same_idempotency_key_returns_the_first_execution()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        var first = await SubmitAsync(client, "demo.echo", new { id = 3 }, idempotencyKey: "upload-42");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 3 } }) };
        request.Headers.Add("Idempotency-Key", "upload-42");
        using var again = await client.SendAsync(request);
        again.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var body = await BodyAsync(again);
        body.GetProperty("execution").GetString().Should().Be(first.ToString());
        body.GetProperty("duplicate").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_waiting_execution_continues_with_a_signal_and_another_is_cancelled()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        var approved = await SubmitAsync(client, "demo.approve", new { id = 5 });
        var cancelled = await SubmitAsync(client, "demo.approve", new { id = 6 });
        await host.Engine.WhenIdleAsync().WaitAsync(Patience); // both wait for their signal
        (await BodyAsync(await client.GetAsync($"/v1/executions/{approved}"))).GetProperty("state").GetString().Should().Be("Waiting");

        using var signalled = await client.PostAsync($"/v1/executions/{approved}/signals/approve", ExperienceHost.Json(new { approved = true, by = "carol" }));
        signalled.StatusCode.Should().Be(HttpStatusCode.Accepted, await signalled.Content.ReadAsStringAsync());
        (await BodyAsync(signalled)).GetProperty("position").GetInt64().Should().BePositive();
        var end = await host.Engine.WaitForEndAsync(host.Alice, approved).WaitAsync(Patience);
        end.State.Should().Be(SagaState.Completed);
        end.GetOutput<string>().Should().Be("10 approved by carol");

        using var cancel = await client.PostAsync($"/v1/executions/{cancelled}/cancel", ExperienceHost.Json(new { reason = "changed my mind" }));
        cancel.StatusCode.Should().Be(HttpStatusCode.Accepted, await cancel.Content.ReadAsStringAsync());
        (await host.Engine.WaitForEndAsync(host.Alice, cancelled).WaitAsync(Patience)).State.Should().Be(SagaState.Cancelled);
        var body = await BodyAsync(await client.GetAsync($"/v1/executions/{cancelled}"));
        body.GetProperty("state").GetString().Should().Be("Cancelled");
        body.GetProperty("error").GetProperty("code").GetString().Should().Be("saga.cancelled");
    }

    [Fact]
    public async Task Artifacts_are_the_agent_outputs_the_log_recorded()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        var execution = await SubmitAsync(client, "demo.explain", new { id = 8 });
        (await host.Engine.WaitForEndAsync(host.Alice, execution).WaitAsync(Patience)).State.Should().Be(SagaState.Completed);

        var artifacts = await BodyAsync(await client.GetAsync($"/v1/executions/{execution}/artifacts"));
        var artifact = artifacts.EnumerateArray().Should().ContainSingle().Subject;
        artifact.GetProperty("step").GetString().Should().Be("explain");
        artifact.GetProperty("content").GetProperty("text").GetString().Should().Be("Order 8 is fine.");
        artifact.GetProperty("content").GetProperty("citations")[0].GetString().Should().Be("fact:order/8");
    }

    [Fact]
    public async Task Capabilities_come_from_the_curator_with_their_input_schema()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();

        var capabilities = await BodyAsync(await client.GetAsync("/v1/capabilities"));
        var echo = capabilities.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "demo.echo");
        echo.GetProperty("version").GetInt32().Should().Be(1);
        echo.GetProperty("realm").GetString().Should().Be("demo");
        echo.GetProperty("description").GetString().Should().Be("echoes an order's id");
        echo.GetProperty("inputSchema").GetProperty("properties").TryGetProperty("id", out _).Should().BeTrue();
    }

    [Fact]
    public async Task Health_needs_no_credentials_and_the_openapi_document_lists_the_routes()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var anonymous = host.Client(apiKey: null);

        (await anonymous.GetAsync("/v1/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        using var ready = await anonymous.GetAsync("/v1/health/ready");
        ready.StatusCode.Should().Be(HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
        (await BodyAsync(ready)).GetProperty("checks").TryGetProperty("symphainy-city", out _).Should().BeTrue();

        var document = await BodyAsync(await anonymous.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/sessions", "/v1/intents", "/v1/executions/{id}", "/v1/executions/{id}/events", "/v1/executions/{id}/signals/{name}", "/v1/capabilities" })
        {
            paths.TryGetProperty(path, out _).Should().BeTrue(path);
        }
    }
}
