using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Symphainy.Sagas;

namespace Symphainy.Experience.Tests;

public sealed class EventStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<SagaId> SubmitAsync(HttpClient client, string type, int id, string? session = null)
    {
        using var response = await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type, payload = new { id }, session }));
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return SagaId.Parse(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("execution").GetString()!);
    }

    /// <summary>Event messages until one of <paramref name="lastKind"/> (heartbeats skipped).</summary>
    private static async Task<List<JsonElement>> EventsUntilAsync(WebSocket socket, string lastKind)
    {
        var events = new List<JsonElement>();
        while (true)
        {
            var message = await ExperienceHost.ReceiveAsync(socket) ?? throw new InvalidOperationException("the server closed the stream early");
            if (message.GetProperty("type").GetString() != "event")
            {
                continue;
            }

            var executionEvent = message.GetProperty("event");
            events.Add(executionEvent);
            if (executionEvent.GetProperty("kind").GetString() == lastKind)
            {
                return events;
            }
        }
    }

    [Fact]
    public async Task A_forced_disconnect_mid_stream_and_a_resume_from_the_next_position_lose_and_repeat_nothing()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();
        var execution = await SubmitAsync(client, "demo.approve", 4);

        // First connection: live until the saga waits for its signal, then the connection is cut (no close handshake).
        var first = await host.ConnectAsync($"execution={execution}");
        var before = await EventsUntilAsync(first, "Waiting");
        first.Abort();
        first.Dispose();

        // While nobody listens, the saga is signalled and runs to its end.
        using var signalled = await client.PostAsync($"/v1/executions/{execution}/signals/approve", ExperienceHost.Json(new { approved = true, by = "dave" }));
        signalled.StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await host.Engine.WaitForEndAsync(host.Alice, execution).WaitAsync(Patience)).State.Should().Be(SagaState.Completed);

        var last = before[^1].GetProperty("position").GetInt64();
        using var second = await host.ConnectAsync($"execution={execution}&from={last + 1}");
        var after = await EventsUntilAsync(second, "SagaCompleted");

        var received = before.Concat(after).Select(e => e.GetProperty("position").GetInt64()).ToList();
        received.Should().OnlyHaveUniqueItems().And.BeInAscendingOrder();
        received.Should().Equal(await host.LoggedPositionsAsync(host.Alice, execution), "every event of the log arrives once across the reconnect");
        before.Concat(after).Should().OnlyContain(e => e.GetProperty("execution").GetString() == execution.ToString());
        after.Select(e => e.GetProperty("kind").GetString()).Should().Contain("Signalled");
    }

    [Fact]
    public async Task The_tenant_stream_and_a_session_stream_carry_only_their_executions()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var alice = host.Client();
        using var bob = host.Client(ExperienceHost.BobKey);
        using var created = await alice.PostAsync("/v1/sessions", ExperienceHost.Json(new { }));
        var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        var outside = await SubmitAsync(alice, "demo.echo", 1);
        var inside = await SubmitAsync(alice, "demo.echo", 2, session);
        var bobs = await SubmitAsync(bob, "demo.echo", 3);
        foreach (var (tenant, saga) in new[] { (host.Alice, outside), (host.Alice, inside), (host.Bob, bobs) })
        {
            await host.Engine.WaitForEndAsync(tenant, saga).WaitAsync(Patience);
        }

        using var sessionStream = await host.ConnectAsync($"session={session}");
        var inSession = await EventsUntilAsync(sessionStream, "SagaCompleted");
        inSession.Select(e => e.GetProperty("execution").GetString()).Should().OnlyContain(id => id == inside.ToString());
        inSession.Select(e => e.GetProperty("position").GetInt64()).Should().Equal(await host.LoggedPositionsAsync(host.Alice, inside));

        using var tenantStream = await host.ConnectAsync("");
        var seen = new List<JsonElement>();
        while (seen.Count(e => e.GetProperty("kind").GetString() == "SagaCompleted") < 2)
        {
            seen.AddRange(await EventsUntilAsync(tenantStream, "SagaCompleted"));
        }

        seen.Select(e => e.GetProperty("execution").GetString()).Distinct().Should().BeEquivalentTo([outside.ToString(), inside.ToString()], "Bob's execution is not Alice's to see");
    }

    [Fact]
    public async Task A_subscription_to_another_tenants_execution_or_session_is_refused_with_an_error_then_closed()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var alice = host.Client();
        var execution = await SubmitAsync(alice, "demo.echo", 1);
        using var created = await alice.PostAsync("/v1/sessions", ExperienceHost.Json(new { }));
        var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        foreach (var query in new[] { $"execution={execution}", $"session={session}" })
        {
            using var spy = await host.ConnectAsync(query, ExperienceHost.BobKey);
            var error = await ExperienceHost.ReceiveAsync(spy);
            error!.Value.GetProperty("type").GetString().Should().Be("error");
            error.Value.GetProperty("code").GetString().Should().Be("security.forbidden");
            (await ExperienceHost.ReceiveAsync(spy)).Should().BeNull("the server closes after the error");
            spy.CloseStatus.Should().Be(WebSocketCloseStatus.PolicyViolation);
        }
    }

    [Fact]
    public async Task An_unauthenticated_upgrade_is_refused_and_credentials_may_come_in_the_query()
    {
        await using var host = await ExperienceHost.StartAsync(new() { ["Symphainy:Experience:HeartbeatSeconds"] = "1" });
        var refused = async () => await host.ConnectAsync("", apiKey: null);
        (await refused.Should().ThrowAsync<WebSocketException>()).Which.Message.Should().Contain("401");

        // A browser cannot set headers: the key rides in the query. With nothing to send, heartbeats keep the line alive.
        using var socket = await host.ConnectAsync($"access_token={ExperienceHost.AliceKey}", apiKey: null);
        var heartbeat = await ExperienceHost.ReceiveAsync(socket, TimeSpan.FromSeconds(10));
        heartbeat!.Value.GetProperty("type").GetString().Should().Be("heartbeat");
        heartbeat.Value.GetProperty("position").GetInt64().Should().Be(0);
    }
}
