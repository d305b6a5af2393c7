using System.Collections;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Symphainy.Reliability.Tests.BadInput;
using Symphainy.Reliability.Tests.Isolation;
using Symphainy.SmartCity;
using Symphainy.Wal;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Security;

/// <summary>
/// Security over the real server: who may call what (401 without valid credentials, 403 for a role or another
/// tenant's stream, 404 for another tenant's ids), API keys kept only as hashes (in what the Security Guard holds and
/// in everything the host persists), no secret in any log line of a host run (valid and failed credentials, bearer
/// tokens, the Redis password), and the request size and rate limits.
/// </summary>
public sealed class SecurityTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_without_valid_credentials_get_401_and_other_tenants_or_roles_get_404_or_403_as_documented()
    {
        var signingKey = Tokens.NewSigningKey();
        await using var host = await ApiHost.StartAsync(new ApiHostOptions { JwtSigningKey = signingKey });
        var (alice, bob) = (host.Accounts[0], host.Accounts[1]);
        using var aliceClient = host.Client(alice);
        using var bobClient = host.Client(bob);
        var execution = await SubmitAsync(aliceClient, "rel.approve");
        using var created = await aliceClient.PostAsync("/v1/sessions", ApiHost.Json(new { }));
        var session = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var defects = new List<string>();
        var requests = 0;

        (HttpMethod Method, string Path, object? Body)[] routes =
        [
            (HttpMethod.Post, "/v1/sessions", new { }), (HttpMethod.Get, $"/v1/sessions/{session}", null), (HttpMethod.Delete, $"/v1/sessions/{session}", null),
            (HttpMethod.Post, "/v1/intents", new { type = "rel.note", payload = new { text = "x" } }), (HttpMethod.Get, $"/v1/executions/{execution}", null),
            (HttpMethod.Get, $"/v1/executions/{execution}/events", null), (HttpMethod.Get, $"/v1/executions/{execution}/artifacts", null),
            (HttpMethod.Post, $"/v1/executions/{execution}/signals/approve", new { approved = true, by = "x" }), (HttpMethod.Post, $"/v1/executions/{execution}/cancel", new { reason = "x" }),
            (HttpMethod.Get, "/v1/capabilities", null),
        ];
        var forgedKey = Tokens.NewSigningKey();
        (string Name, string? Header, string? Value)[] credentials =
        [
            ("none", null, null),
            ("unknown key id", "X-Api-Key", "nobody." + alice.Secret),
            ("wrong secret", "X-Api-Key", alice.KeyId + ".wrong-" + alice.Secret),
            ("another key's secret", "X-Api-Key", alice.KeyId + "." + bob.Secret),
            ("no secret", "X-Api-Key", alice.KeyId + "."),
            ("no id", "X-Api-Key", "." + alice.Secret),
            ("the secret alone", "X-Api-Key", alice.Secret),
            ("the secret's hash", "X-Api-Key", alice.KeyId + "." + SecurityGuard.HashSecret(alice.Secret)),
            ("basic scheme", "Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(alice.ApiKey))),
            ("api key as bearer", "Authorization", "Bearer " + alice.ApiKey),
            ("bearer garbage", "Authorization", "Bearer not.a.token"),
            ("bearer forged", "Authorization", "Bearer " + Tokens.Create(forgedKey, alice.Tenant, "mallory")),
            ("bearer alg none", "Authorization", "Bearer " + Tokens.Create(signingKey, alice.Tenant, "mallory", algorithm: "none")),
            ("bearer expired", "Authorization", "Bearer " + Tokens.Create(signingKey, alice.Tenant, "ann", lifetime: TimeSpan.FromMinutes(-10))),
            ("bearer wrong audience", "Authorization", "Bearer " + Tokens.Create(signingKey, alice.Tenant, "ann", audience: "elsewhere")),
            ("bearer wrong issuer", "Authorization", "Bearer " + Tokens.Create(signingKey, alice.Tenant, "ann", issuer: "elsewhere")),
        ];

        using var anonymous = host.Client(null);
        foreach (var (method, path, body) in routes)
        {
            foreach (var (name, header, value) in credentials)
            {
                requests++;
                using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : ApiHost.Json(body) };
                if (header is not null)
                {
                    request.Headers.TryAddWithoutValidation(header, value);
                }

                using var response = await anonymous.SendAsync(request);
                if ((await Problem.ReadAsync(response)).Defect("security.unauthenticated") is { } defect)
                {
                    defects.Add($"{method} {path} with {name}: {defect}");
                }
            }
        }

        // The WebSocket refuses before the upgrade, with the same problem, for headers and for access_token alike.
        foreach (var (name, header, value) in credentials.Append(("access_token wrong", null, alice.KeyId + ".nope")).Append(("access_token forged", null, Tokens.Create(forgedKey, alice.Tenant, "m"))))
        {
            requests++;
            var query = header is null && value is not null ? $"?access_token={Uri.EscapeDataString(value)}" : "";
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events" + query);
            request.Headers.Add("Connection", "Upgrade");
            request.Headers.Add("Upgrade", "websocket");
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }

            using var response = await anonymous.SendAsync(request);
            if ((await Problem.ReadAsync(response)).Defect("security.unauthenticated") is { } defect)
            {
                defects.Add($"WebSocket with {name}: {defect}");
            }
        }

        // Health needs nothing.
        requests += 2;
        using var live = await anonymous.GetAsync("/v1/health/live");
        using var ready = await anonymous.GetAsync("/v1/health/ready");

        // Another tenant's ids are not found over REST; its stream is forbidden over the WebSocket, with a close reason.
        foreach (var (method, path, body) in routes.Where(r => r.Path.Contains(execution, StringComparison.Ordinal) || r.Path.Contains(session, StringComparison.Ordinal)))
        {
            requests++;
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : ApiHost.Json(body) };
            using var response = await bobClient.SendAsync(request);
            if ((await Problem.ReadAsync(response)).Defect("saga.not_found", "session.not_found") is { } defect)
            {
                defects.Add($"{method} {path} as another tenant: {defect}");
            }
        }

        foreach (var query in new[] { $"execution={execution}", $"session={session}" })
        {
            requests++;
            using var socket = await host.ConnectAsync(query, bob);
            var error = await ApiHost.ReceiveAsync(socket);
            var close = await ApiHost.ReceiveAsync(socket);
            if (error?.GetProperty("code").GetString() != "security.forbidden" || close is not null || socket.CloseStatus != WebSocketCloseStatus.PolicyViolation
                || socket.CloseStatusDescription != "security.forbidden")
            {
                defects.Add($"WebSocket {query} as another tenant: {error} then {socket.CloseStatus} '{socket.CloseStatusDescription}'");
            }
        }

        // A capability's role: refused without it (403), accepted with it (a bearer token carrying the role).
        requests += 3;
        using (var refused = await aliceClient.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.restricted", payload = new { text = "x" } })))
        {
            if ((await Problem.ReadAsync(refused)).Defect("security.forbidden") is { } defect)
            {
                defects.Add($"a capability needing a role the key lacks: {defect}");
            }
        }

        using var finance = host.Client(null);
        finance.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Create(signingKey, alice.Tenant, "fiona", ["finance"]));
        using var allowed = await finance.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.restricted", payload = new { text = "x" } }));
        using var own = await finance.GetAsync($"/v1/executions/{execution}");

        output.WriteLine($"{requests} requests, {defects.Count} defects");
        foreach (var defect in defects.Take(30))
        {
            output.WriteLine("DEFECT " + defect);
        }

        ReliabilitySuite.Record("security", "unauthenticated, wrong-tenant and role requests", requests, defects.Count);
        defects.Should().BeEmpty();
        live.StatusCode.Should().Be(HttpStatusCode.OK);
        ready.StatusCode.Should().Be(HttpStatusCode.OK);
        allowed.StatusCode.Should().Be(HttpStatusCode.Accepted, "a token with the role may");
        own.StatusCode.Should().Be(HttpStatusCode.OK, "a bearer token of the tenant reads the tenant's executions");
    }

    [Fact]
    public async Task Signed_bearer_tokens_with_claims_of_the_wrong_type_get_401_never_a_server_error()
    {
        var signingKey = Tokens.NewSigningKey();
        await using var host = await ApiHost.StartAsync(new ApiHostOptions { JwtSigningKey = signingKey });
        var tenant = host.Accounts[0].Tenant.ToString();
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        string Claims(string aud = "\"rel-api\"", string expiry = "", string roles = "[]", string sub = "\"ann\"", string tenantClaim = "")
            => $"{{\"iss\":\"rel-issuer\",\"aud\":{aud},\"exp\":{(expiry.Length > 0 ? expiry : exp.ToString(System.Globalization.CultureInfo.InvariantCulture))},\"sub\":{sub},\"tenant\":{(tenantClaim.Length > 0 ? tenantClaim : $"\"{tenant}\"")},\"roles\":{roles}}}";
        string[] malformed =
        [
            Claims(aud: "5"), Claims(aud: "[5, null, {}]"), Claims(aud: "{}"), Claims(expiry: "253402300800"), Claims(expiry: "9223372036854775807"), Claims(expiry: "-62135596801"),
            Claims(expiry: "1e300"), Claims(expiry: "\"tomorrow\""), Claims(roles: "5"), Claims(roles: "{}"), Claims(roles: "true"), Claims(sub: "5"), Claims(sub: "{}"),
            Claims(tenantClaim: "5"), Claims(tenantClaim: "[\"x\"]"), "[]", "5", "\"text\"",
        ];
        using var client = host.Client(null);
        var defects = new List<string>();
        var accepted = 0;
        foreach (var claims in malformed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/capabilities");
            request.Headers.Authorization = new("Bearer", Tokens.WithClaims(signingKey, claims));
            using var response = await client.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted++; // a malformed roles claim may just mean no roles: the token is otherwise valid
                continue;
            }

            if ((await Problem.ReadAsync(response)).Defect("security.unauthenticated") is { } defect)
            {
                defects.Add($"claims {claims}: {defect}");
            }
        }

        foreach (var defect in defects)
        {
            output.WriteLine("DEFECT " + defect);
        }

        ReliabilitySuite.Record("security", "signed tokens with mistyped claims", malformed.Length, defects.Count);
        defects.Should().BeEmpty();
        accepted.Should().BeLessThanOrEqualTo(3, "only a mistyped roles claim leaves a token valid (with no roles)");
    }

    [Fact]
    public async Task Api_keys_are_kept_as_hashes_and_no_secret_is_in_what_the_guard_holds_or_anything_the_host_persists()
    {
        var data = Directory.CreateTempSubdirectory("symphainy-security-");
        var signingKey = Tokens.NewSigningKey();
        try
        {
            string[] secrets;
            var inspected = 0;
            await using (var host = await ApiHost.StartAsync(new ApiHostOptions { DataDirectory = data.FullName, JwtSigningKey = signingKey, Tenants = 3 }))
            {
                var token = Tokens.Create(signingKey, host.Accounts[2].Tenant, "tess");
                secrets = [.. host.Accounts.Select(a => a.Secret), token, signingKey, .. host.Accounts.Select(a => a.ApiKey)];
                await DriveAsync(host, token);

                // What the Security Guard keeps: the configured keys carry the secret's hash only.
                var options = host.Services.GetRequiredService<IOptionsMonitor<SecurityGuardOptions>>().CurrentValue;
                foreach (var account in host.Accounts)
                {
                    options.ApiKeys.Single(k => k.Id == account.KeyId).SecretHash.Should().Be(SecurityGuard.HashSecret(account.Secret));
                }

                // Every string reachable from the guard, its settings and the principals it hands out holds no secret.
                var guard = host.Services.GetRequiredService<SecurityGuard>();
                var principals = host.Accounts.Select(a => (object)guard.Authenticate(a.ApiKey)).Append(guard.AuthenticateBearer(token)).ToArray();
                var found = new List<string>();
                foreach (var root in principals.Prepend(options).Prepend(guard))
                {
                    inspected += Walk(root, "", secrets.Where(s => s != signingKey).ToArray(), found, new HashSet<object>(ReferenceEqualityComparer.Instance), 0);
                }

                found.Should().BeEmpty("the guard keeps hashes, never a secret");
            }

            // Everything the host persisted (log segments, the SQLite graph and its journal): no secret, in UTF-8 or UTF-16.
            var files = Directory.GetFiles(data.FullName, "*", SearchOption.AllDirectories);
            var leaks = new List<string>();
            foreach (var file in files)
            {
                var bytes = await File.ReadAllBytesAsync(file);
                foreach (var secret in secrets)
                {
                    if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0 || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0)
                    {
                        leaks.Add($"{Path.GetRelativePath(data.FullName, file)} holds a secret ({secret[..4]}…)");
                    }
                }
            }

            output.WriteLine($"{inspected} strings reachable from the guard inspected; {files.Length} persisted files ({files.Sum(f => new FileInfo(f).Length) / 1024} KiB) scanned");
            ReliabilitySuite.Record("security", "persisted files and guard strings scanned for secrets", files.Length + inspected, leaks.Count);
            files.Should().NotBeEmpty();
            leaks.Should().BeEmpty();
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task No_secret_appears_in_any_log_line_of_a_host_run_with_valid_and_failed_credentials_and_a_redis_password()
    {
        var log = new CapturingLoggerProvider();
        var signingKey = Tokens.NewSigningKey();
        var redisPassword = "rp-" + Guid.NewGuid().ToString("N");
        var arangoPassword = "ap-" + Guid.NewGuid().ToString("N");
        using var redis = RedisServer.Start(redisPassword);
        var settings = new Dictionary<string, string?>
        {
            ["Symphainy:Redis:ConnectionString"] = $"127.0.0.1:{redis.Port},password={redisPassword}",
            ["Symphainy:Redis:KeyPrefix"] = "sec-" + Guid.NewGuid().ToString("N")[..8],
            ["Symphainy:Arango:Password"] = arangoPassword,
            ["Symphainy:Arango:Url"] = $"http://root:{arangoPassword}@127.0.0.1:8529",
        };
        string[] secrets;
        var wrong = new List<string>();
        await using (var host = await ApiHost.StartAsync(new ApiHostOptions { Logger = log, JwtSigningKey = signingKey, Settings = settings, Providers = s => s.UseRedis() }))
        {
            var token = Tokens.Create(signingKey, host.Accounts[1].Tenant, "tess");
            await DriveAsync(host, token);

            // Failed attempts: wrong secrets and forged or expired tokens, in headers and in the WebSocket's query.
            using var anonymous = host.Client(null);
            foreach (var account in host.Accounts)
            {
                var guess = $"{account.KeyId}.guess-{Guid.NewGuid():N}";
                wrong.Add(guess);
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/capabilities");
                request.Headers.Add("X-Api-Key", guess);
                (await anonymous.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
                var forged = Tokens.Create(Tokens.NewSigningKey(), account.Tenant, "mallory");
                var expired = Tokens.Create(signingKey, account.Tenant, "ann", lifetime: TimeSpan.FromHours(-1));
                wrong.Add(forged);
                wrong.Add(expired);
                foreach (var bearer in new[] { forged, expired })
                {
                    using var withToken = new HttpRequestMessage(HttpMethod.Get, "/v1/capabilities");
                    withToken.Headers.Authorization = new("Bearer", bearer);
                    (await anonymous.SendAsync(withToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
                }

                using var socketRefused = await anonymous.GetAsync($"/v1/events?access_token={Uri.EscapeDataString(guess)}");
                socketRefused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            }

            secrets = [.. host.Accounts.Select(a => a.Secret), token, signingKey, redisPassword, arangoPassword, .. wrong.Select(w => w.Contains("guess", StringComparison.Ordinal) ? w[(w.IndexOf('.', StringComparison.Ordinal) + 1)..] : w)];
        }

        // A start that fails on a wrong Redis password must not log or throw it either.
        var badPassword = "bad-" + Guid.NewGuid().ToString("N");
        var failed = new CapturingLoggerProvider();
        var start = async () => await ApiHost.StartAsync(new ApiHostOptions
        {
            Logger = failed,
            Settings = new(settings) { ["Symphainy:Redis:ConnectionString"] = $"127.0.0.1:{redis.Port},password={badPassword}", ["Symphainy:Redis:ConnectTimeout"] = "00:00:03" },
            Providers = s => s.UseRedis(),
        });
        var refusal = await start.Should().ThrowAsync<Exception>();
        var refusalText = refusal.Which.ToString();

        var leaks = log.Leaks(secrets).Concat(failed.Leaks([.. secrets, badPassword])).ToList();
        if (refusalText.Contains(badPassword, StringComparison.Ordinal))
        {
            leaks.Add("the failed start's exception names the Redis password: " + refusalText[..Math.Min(300, refusalText.Length)]);
        }

        output.WriteLine($"{log.Lines.Count + failed.Lines.Count} log lines scanned for {secrets.Length + 1} secrets; leaks: {leaks.Count}");
        foreach (var leak in leaks.Take(20))
        {
            output.WriteLine("LEAK " + leak[..Math.Min(400, leak.Length)]);
        }

        ReliabilitySuite.Record("security", "log lines scanned for secrets", log.Lines.Count + failed.Lines.Count, leaks.Count);
        log.Lines.Should().Contain(l => l.Contains("[700]", StringComparison.Ordinal), "failed attempts were audited (and scanned)");
        log.Lines.Should().Contain(l => l.Contains("/v1/events", StringComparison.Ordinal), "request lines were logged (and scanned)");
        log.Lines.Should().Contain(l => l.Contains("access_token=[redacted]", StringComparison.Ordinal),
            "the web server logs every request's query string, where a WebSocket carries its credentials: the Data Steward redacts them");
        leaks.Should().BeEmpty();
    }

    [Fact]
    public async Task Bodies_over_the_limits_are_refused_with_413_and_record_nothing()
    {
        await using var host = await ApiHost.StartAsync(new ApiHostOptions
        {
            Settings = new() { ["Symphainy:Experience:MaxRequestBytes"] = "65536", ["Symphainy:Intake:MaxPayloadBytes"] = "16384" },
        });
        using var client = host.Client(host.Accounts[0]);
        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        var defects = new List<string>();
        var requests = 0;
        foreach (var (size, chunked, code) in new[] { (65_537, false, "experience.payload_too_large"), (65_537, true, "experience.payload_too_large"), (8_000_000, false, "experience.payload_too_large"),
            (8_000_000, true, "experience.payload_too_large"), (16_385, false, "intake.payload_too_large"), (40_000, true, "intake.payload_too_large") })
        {
            requests++;
            var before = wal.NextPosition;
            var text = new string('x', size);
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "rel.note", payload = new { text } }));
            using var response = await client.PostAsync("/v1/intents", chunked ? Bodies.Chunked(body) : Bodies.Json(body));
            if ((await Problem.ReadAsync(response)).Defect(code) is { } defect)
            {
                defects.Add($"{size} bytes{(chunked ? " chunked" : "")}: {defect}");
            }

            if (wal.NextPosition != before)
            {
                defects.Add($"{size} bytes: the log grew from {before} to {wal.NextPosition}");
            }
        }

        requests++;
        using var fits = await client.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.note", payload = new { text = new string('x', 16_000) } }));
        ReliabilitySuite.Record("security", "oversize requests", requests, defects.Count);
        defects.Should().BeEmpty();
        fits.StatusCode.Should().Be(HttpStatusCode.Accepted, "a body within both limits is taken");
    }

    [Fact]
    public async Task Rate_limits_answer_429_with_Retry_After_per_tenant_record_nothing_and_let_the_retry_through()
    {
        await using var host = await ApiHost.StartAsync(new ApiHostOptions
        {
            Settings = new()
            {
                ["Symphainy:SmartCity:Traffic:PerTenant:PermitLimit"] = "5",
                ["Symphainy:SmartCity:Traffic:PerTenant:Window"] = "00:00:02",
            },
        });
        using var alice = host.Client(host.Accounts[0]);
        using var bob = host.Client(host.Accounts[1]);
        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        var accepted = 0;
        var limited = new List<(Problem Problem, string? RetryAfter, bool Recorded)>();
        for (var i = 0; i < 12; i++)
        {
            var before = wal.NextPosition;
            using var response = await alice.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.note", payload = new { text = "x" } }));
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted++;
            }
            else
            {
                limited.Add((await Problem.ReadAsync(response), response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), wal.NextPosition != before));
            }
        }

        // Another tenant has a budget of its own.
        using var other = await bob.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.note", payload = new { text = "x" } }));

        // A client that waits as Retry-After says gets through again (the limiter's windows are replenished by a
        // timer, which a loaded machine may run late: so it honours Retry-After again when refused, a few times).
        var wait = limited.Count > 0 && double.TryParse(limited[^1].RetryAfter, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : 2;
        HttpResponseMessage retried;
        var attempts = 0;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(wait));
            attempts++;
            retried = await alice.PostAsync("/v1/intents", ApiHost.Json(new { type = "rel.note", payload = new { text = "x" } }));
            if (retried.StatusCode != HttpStatusCode.TooManyRequests || attempts == 5)
            {
                break;
            }

            wait = retried.Headers.RetryAfter?.Delta?.TotalSeconds ?? 2;
            retried.Dispose();
        }

        var defects = limited.Select(l => l.Problem.Defect("traffic.rate_limited") ?? (l.RetryAfter is null or "0" ? "no Retry-After header" : l.Recorded ? "a refused intent was recorded" : null))
            .Where(d => d is not null).ToList();
        output.WriteLine($"{accepted} accepted, {limited.Count} limited (Retry-After {string.Join(",", limited.Select(l => l.RetryAfter))}), other tenant {(int)other.StatusCode}, retry {(int)retried.StatusCode} after {attempts} wait(s)");
        ReliabilitySuite.Record("security", "rate-limited requests", 14, defects.Count);
        defects.Should().BeEmpty();
        limited.Should().NotBeEmpty("12 intents at once exceed 5 per 2 s");
        accepted.Should().BeInRange(5, 10, "at most the limit per window (the burst may straddle two windows)");
        other.StatusCode.Should().Be(HttpStatusCode.Accepted);
        retried.StatusCode.Should().Be(HttpStatusCode.Accepted);
        retried.Dispose();
    }

    /// <summary>Work with every credential: sessions, intents, reads, signals, a WebSocket with the key in the query and one with a token.</summary>
    private static async Task DriveAsync(ApiHost host, string token)
    {
        foreach (var account in host.Accounts)
        {
            using var client = host.Client(account);
            using var session = await client.PostAsync("/v1/sessions?cookie=true", ApiHost.Json(new { ttlSeconds = 600 }));
            session.StatusCode.Should().Be(HttpStatusCode.Created);
            var execution = await SubmitAsync(client, "rel.approve");
            await SubmitAsync(client, "rel.explain");
            (await client.PostAsync($"/v1/executions/{execution}/signals/approve", ApiHost.Json(new { approved = true, by = account.KeyId }))).StatusCode.Should().Be(HttpStatusCode.Accepted);
            (await host.Engine.WaitForEndAsync(account.Tenant, SagaId.Parse(execution)).WaitAsync(TimeSpan.FromSeconds(60))).State.Should().Be(Sagas.SagaState.Completed);
            (await client.GetAsync($"/v1/executions/{execution}/events")).StatusCode.Should().Be(HttpStatusCode.OK);

            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new UriBuilder(host.Address) { Scheme = "ws", Path = "/v1/events", Query = $"access_token={Uri.EscapeDataString(account.ApiKey)}&execution={execution}" }.Uri, CancellationToken.None);
            (await ApiHost.ReceiveAsync(socket))?.GetProperty("type").GetString().Should().Be("event");
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        using var bearer = host.Client(null);
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await SubmitAsync(bearer, "rel.note");
        using var tokenSocket = new ClientWebSocket();
        await tokenSocket.ConnectAsync(new UriBuilder(host.Address) { Scheme = "ws", Path = "/v1/events", Query = $"access_token={token}" }.Uri, CancellationToken.None);
        await tokenSocket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    private static async Task<string> SubmitAsync(HttpClient client, string type)
    {
        using var response = await client.PostAsync("/v1/intents", ApiHost.Json(new { type, payload = new { text = "t" } }));
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("execution").GetString()!;
    }

    /// <summary>Counts the strings reachable from <paramref name="value"/> (fields, collections) and notes those holding a secret.</summary>
    private static int Walk(object? value, string path, string[] secrets, List<string> found, HashSet<object> seen, int depth)
    {
        if (value is null || depth > 12)
        {
            return 0;
        }

        if (value is string text)
        {
            foreach (var secret in secrets.Where(s => text.Contains(s, StringComparison.Ordinal)))
            {
                found.Add($"{path} holds {secret[..4]}…");
            }

            return 1;
        }

        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is Delegate || value is Type || value is MemberInfo || value is IServiceProvider || value is Microsoft.Extensions.Logging.ILogger
            || value is TimeProvider || !seen.Add(value) || (type.Namespace?.StartsWith("System.Reflection", StringComparison.Ordinal) ?? false))
        {
            return 0;
        }

        var count = 0;
        if (value is IEnumerable items and not string)
        {
            var i = 0;
            foreach (var item in items)
            {
                count += Walk(item, $"{path}[{i++}]", secrets, found, seen, depth + 1);
            }
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPointer && !field.FieldType.IsByRefLike)
                {
                    count += Walk(field.GetValue(value), $"{path}.{field.Name}", secrets, found, seen, depth + 1);
                }
            }
        }

        return count;
    }
}

/// <summary>A throwaway redis-server on a free loopback port with a password, durable as the Redis provider requires.</summary>
public sealed class RedisServer : IDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly DirectoryInfo _directory;

    private RedisServer(System.Diagnostics.Process process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static RedisServer Start(string password)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var directory = Directory.CreateTempSubdirectory("symphainy-redis-");
        var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--requirepass", password, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--dir", directory.FullName },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (is it installed? ./build.sh test installs it)");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }

        return new RedisServer(process, directory, port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        _directory.Delete(recursive: true);
    }
}
