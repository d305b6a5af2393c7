using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Experience.Tests;

/// <summary>A browser's session may travel as a cookie: set when asked for at creation, read when an intent names none.</summary>
public sealed class SessionCookieTests
{
    [Fact]
    public async Task A_session_created_with_cookie_true_sets_its_cookie_and_an_intent_without_a_session_field_joins_the_cookies_session()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = host.Address };
        browser.DefaultRequestHeaders.Add("X-Api-Key", ExperienceHost.AliceKey);

        var created = await browser.PostAsync("/v1/sessions?cookie=true", ExperienceHost.Json(new { ttlSeconds = 600 }));
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var cookie = created.Headers.GetValues("Set-Cookie").Should().ContainSingle().Subject;
        cookie.Should().StartWith($"symphainy-session={session}").And.Contain("httponly").And.Contain("samesite=strict").And.Contain("path=/v1");

        var submitted = await browser.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 2 } }));
        submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        var position = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("position").GetInt64();
        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        await foreach (var record in wal.ReadAsync(position))
        {
            record.Session.Should().Be(SessionId.Parse(session), "the cookie named the session");
            break;
        }

        // The cookie names a session; it never authenticates: without credentials the same browser is refused.
        browser.DefaultRequestHeaders.Remove("X-Api-Key");
        (await browser.PostAsync("/v1/intents", ExperienceHost.Json(new { type = "demo.echo", payload = new { id = 2 } }))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Without_asking_no_cookie_is_set_so_a_client_that_keeps_cookies_does_not_slip_later_intents_into_the_session()
    {
        await using var host = await ExperienceHost.StartAsync();
        using var client = host.Client();
        var created = await client.PostAsync("/v1/sessions", ExperienceHost.Json(new { }));
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        created.Headers.Contains("Set-Cookie").Should().BeFalse();
    }
}
