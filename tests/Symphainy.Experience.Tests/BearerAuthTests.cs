using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Symphainy.Experience.Tests;

/// <summary>JWT bearer authentication over HTTP and the WebSocket: the tenant comes from the token's claims.</summary>
public sealed class BearerAuthTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static Dictionary<string, string?> Settings => new()
    {
        ["Symphainy:SmartCity:Security:Jwt:Issuer"] = "https://id.example",
        ["Symphainy:SmartCity:Security:Jwt:Audience"] = "symphainy",
        ["Symphainy:SmartCity:Security:Jwt:SigningKey"] = Convert.ToBase64String(Key),
    };

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Token(TenantId tenant, DateTimeOffset? expires = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["iss"] = "https://id.example",
            ["aud"] = "symphainy",
            ["sub"] = "user-42",
            ["tenant"] = tenant.ToString(),
            ["roles"] = new[] { "analyst" },
            ["exp"] = (expires ?? DateTimeOffset.UtcNow.AddMinutes(5)).ToUnixTimeSeconds(),
        };
        var head = $"{B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }))}.{B64(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        return $"{head}.{B64(HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(head)))}";
    }

    private static HttpClient Bearer(ExperienceHost host, string token)
    {
        var client = host.Client(apiKey: null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task A_bearer_token_submits_for_the_tenant_of_its_claims_and_reads_only_that_tenants_executions()
    {
        await using var host = await ExperienceHost.StartAsync(Settings);
        using var alice = Bearer(host, Token(host.Alice));
        var submitted = await alice.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 3 } }));
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var execution = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("execution").GetString()!;
        (await host.Engine.WaitForEndAsync(host.Alice, SagaId.Parse(execution)).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(Symphainy.Sagas.SagaState.Completed);
        (await alice.GetAsync($"/v1/executions/{execution}")).StatusCode.Should().Be(HttpStatusCode.OK);

        using var bob = Bearer(host, Token(host.Bob));
        (await bob.GetAsync($"/v1/executions/{execution}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "another tenant's token does not see it");
    }

    [Fact]
    public async Task An_expired_or_forged_token_is_refused_with_a_typed_problem()
    {
        await using var host = await ExperienceHost.StartAsync(Settings);
        foreach (var token in new[] { Token(host.Alice, DateTimeOffset.UtcNow.AddMinutes(-10)), Token(host.Alice)[..^4] + "AAAA" })
        {
            using var client = Bearer(host, token);
            var response = await client.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 3 } }));
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString().Should().Be("security.unauthenticated");
        }
    }

    [Fact]
    public async Task A_browser_passes_its_token_as_access_token_and_the_stream_is_the_tokens_tenants()
    {
        await using var host = await ExperienceHost.StartAsync(Settings);
        using var socket = await host.ConnectAsync($"access_token={Uri.EscapeDataString(Token(host.Alice))}", apiKey: null);
        using var alice = Bearer(host, Token(host.Alice));
        (await alice.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 5 } }))).EnsureSuccessStatusCode();
        JsonElement? message;
        do
        {
            message = await ExperienceHost.ReceiveAsync(socket);
            message.Should().NotBeNull("the stream stays open");
        }
        while (message!.Value.GetProperty("type").GetString() != "event");

        message.Value.GetProperty("event").GetProperty("execution").GetString().Should().StartWith("sag_");
    }
}
