using System.Net;
using System.Text.Json;
using Symphainy.Sagas;

namespace Symphainy.Experience.Tests;

public sealed class ProblemTests
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        problem.GetProperty("code").GetString().Should().Be(code);
        problem.GetProperty("type").GetString().Should().Be($"urn:symphainy:error:{code}");
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        problem.GetProperty("title").GetString().Should().NotBeNullOrWhiteSpace();
        problem.GetProperty("detail").GetString().Should().NotBeNullOrWhiteSpace();
        problem.GetProperty("retryable").ValueKind.Should().BeOneOf(JsonValueKind.True, JsonValueKind.False);
        return problem;
    }

    [Fact]
    public async Task Bad_input_is_a_typed_problem_with_a_stable_code()
    {
        await using var host = await ExperienceHost.StartAsync(new() { ["Symphainy:Experience:MaxRequestBytes"] = "2048" });
        using var client = host.Client();

        var missingType = await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { payload = new { id = 1 } })), HttpStatusCode.BadRequest, "experience.invalid_request");
        missingType.GetProperty("detail").GetString().Should().Contain("'type'");
        var missingPayload = await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo" })), HttpStatusCode.BadRequest, "experience.invalid_request");
        missingPayload.GetProperty("detail").GetString().Should().Contain("'payload'");
        var wrongType = await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = 5, payload = new { id = 1 } })), HttpStatusCode.BadRequest, "experience.invalid_request");
        wrongType.GetProperty("detail").GetString().Should().Contain("must be a non-empty string");
        await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 1 }, version = "one" })), HttpStatusCode.BadRequest, "experience.invalid_request");
        await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Raw("{\"type\": \"demo.echo\", ")), HttpStatusCode.BadRequest, "experience.invalid_request");
        await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Raw("[1, 2]")), HttpStatusCode.BadRequest, "experience.invalid_request");
        await ProblemAsync(await client.PostAsync("/v1/sessions", ExperienceHost.Json(new { ttlSeconds = "soon" })), HttpStatusCode.BadRequest, "experience.invalid_request");

        // The payload reaches intake, which holds it to the capability's input schema.
        await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = "seven" } })), HttpStatusCode.BadRequest, "intake.invalid_payload");

        var unknown = await ProblemAsync(await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.nothing", payload = new { } })), HttpStatusCode.NotFound, "intake.unknown_intent_type");
        unknown.GetProperty("retryable").GetBoolean().Should().BeFalse();

        var oversize = ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 1, filler = new string('x', 4096) } });
        await ProblemAsync(await client.PostAsync("/v1/intents", oversize), HttpStatusCode.RequestEntityTooLarge, "experience.payload_too_large");

        // Without a Content-Length (chunked), the limit holds while reading.
        var chunked = new StreamContent(new UnknownLengthStream(new string('x', 8192)));
        chunked.Headers.ContentType = new("application/json");
        await ProblemAsync(await client.PostAsync("/v1/intents", chunked), HttpStatusCode.RequestEntityTooLarge, "experience.payload_too_large");

        host.Engine.ListActive(host.Alice).Should().BeEmpty("nothing bad was recorded");
    }

    [Fact]
    public async Task Missing_or_bad_credentials_are_unauthenticated_and_another_tenants_ids_are_not_found()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var anonymous = host.Client(apiKey: null);
        using var wrongSecret = host.Client("alice.not-the-secret");
        using var alice = host.Client();
        using var bob = host.Client(ExperienceHost.BobKey);

        await ProblemAsync(await anonymous.GetAsync("/v1/capabilities"), HttpStatusCode.Unauthorized, "security.unauthenticated");
        await ProblemAsync(await anonymous.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 1 } })), HttpStatusCode.Unauthorized, "security.unauthenticated");
        await ProblemAsync(await wrongSecret.GetAsync("/v1/capabilities"), HttpStatusCode.Unauthorized, "security.unauthenticated");
        using (var badBearer = new HttpRequestMessage(HttpMethod.Get, "/v1/capabilities"))
        {
            badBearer.Headers.Authorization = new("Bearer", "not.a.jwt");
            await ProblemAsync(await anonymous.SendAsync(badBearer), HttpStatusCode.Unauthorized, "security.unauthenticated");
        }

        using var accepted = await alice.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 1 } }));
        var execution = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("execution").GetString()!;
        (await host.Engine.WaitForEndAsync(host.Alice, SagaId.Parse(execution)).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);

        await ProblemAsync(await bob.GetAsync($"/v1/executions/{execution}"), HttpStatusCode.NotFound, "saga.not_found");
        await ProblemAsync(await bob.GetAsync($"/v1/executions/{execution}/events"), HttpStatusCode.NotFound, "saga.not_found");
        await ProblemAsync(await bob.GetAsync($"/v1/executions/{execution}/artifacts"), HttpStatusCode.NotFound, "saga.not_found");
        await ProblemAsync(await bob.PostAsync($"/v1/executions/{execution}/cancel", ExperienceHost.Json(new { reason = "mischief" })), HttpStatusCode.NotFound, "saga.not_found");
        await ProblemAsync(await bob.PostAsync($"/v1/executions/{execution}/signals/approve", ExperienceHost.Json(true)), HttpStatusCode.NotFound, "saga.not_found");
        (await host.Engine.GetAsync(host.Alice, SagaId.Parse(execution)))!.State.Should().Be(SagaState.Completed);
    }

    /// <summary>A body whose length is not known up front, so it goes chunked.</summary>
    private sealed class UnknownLengthStream(string text) : MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))
    {
        public override bool CanSeek => false;
    }
}
