using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Intake;
using Symphainy.Reliability.Tests.Isolation;
using Symphainy.Sagas;
using Symphainy.SmartCity;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.BadInput;

/// <summary>
/// Bad input, fuzzed: every malformed, oversized, mistyped or hostile request gets a typed refusal with a catalogued
/// code (over HTTP a 4xx problem at the status docs/http-api.md gives the code; on the WebSocket an error message and
/// a close with a reason), never a 500 or a dropped connection; afterwards the host is healthy, a valid intent still
/// runs, and the managed heap has not grown past a stated bound.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>How much the managed heap (after a full collection) may grow over the fuzzed batch.</summary>
    private const long HeapBound = 48L * 1024 * 1024;

    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _waiting = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(new ApiHostOptions
        {
            Settings = new()
            {
                ["Symphainy:Experience:MaxRequestBytes"] = BadInputCases.MaxRequestBytes.ToString(),
                ["Symphainy:Intake:MaxPayloadBytes"] = BadInputCases.MaxPayloadBytes.ToString(),
            },
        });
        _client = _host.Client(_host.Accounts[0]);
        _waiting = await SubmitValidAsync("rel.approve");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Every_bad_REST_request_gets_a_catalogued_4xx_problem_and_the_host_stays_healthy_with_bounded_memory()
    {
        var budget = ReliabilitySuite.Budget(3_000, 30_000);
        var defects = new List<string>();
        var codes = new Dictionary<string, int>();
        var sent = 0;

        async Task SendAsync(BadRequest bad)
        {
            using var request = bad.Build();
            request.RequestUri = new Uri(bad.Path.Replace("{execution}", _waiting, StringComparison.Ordinal), UriKind.Relative);
            if (request.Content is ByteArrayContent && bad.Body is { } body && body.AsSpan().IndexOf("{execution}"u8) >= 0)
            {
                request.Content = Bodies.Json(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("{execution}", _waiting, StringComparison.Ordinal)));
            }

            sent++;
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request);
            }
            catch (HttpRequestException e)
            {
                defects.Add($"{bad}: the connection failed without an answer: {e.Message}");
                return;
            }

            using (response)
            {
                var problem = await Problem.ReadAsync(response);
                if (problem.Defect(bad.Expected) is { } defect)
                {
                    defects.Add($"{bad}: {defect}");
                }

                codes[problem.Code ?? $"(status {problem.Status})"] = codes.GetValueOrDefault(problem.Code ?? $"(status {problem.Status})") + 1;
            }
        }

        // Warm up (JIT, pools, the first of every kind of refusal), then measure the heap over the real batch.
        foreach (var bad in BadInputCases.Any().Sample(200))
        {
            await SendAsync(bad);
        }

        var before = HeapAfterCollection();
        var property = Prop.ForAll(Arb.From(BadInputCases.Any()), bad =>
        {
            SendAsync(bad).GetAwaiter().GetResult();
            return true;
        });
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(budget).WithQuietOnSuccess(true), property));
        var after = HeapAfterCollection();

        // Still healthy: the health endpoint answers and a valid intent runs to its end.
        using var health = await _client.GetAsync("/v1/health/live");
        var execution = await SubmitValidAsync("rel.note");
        var ended = await _host.Engine.WaitForEndAsync(_host.Accounts[0].Tenant, SagaId.Parse(execution)).WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"{sent} bad requests; heap after collection {before / 1024} KiB before the batch, {after / 1024} KiB after (bound +{HeapBound / 1024 / 1024} MiB)");
        output.WriteLine(string.Join(", ", codes.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        foreach (var defect in defects.Take(30))
        {
            output.WriteLine("DEFECT " + defect);
        }

        ReliabilitySuite.Record("bad input", "REST requests fuzzed", sent, defects.Count + (after - before > HeapBound ? 1 : 0));
        defects.Should().BeEmpty();
        health.StatusCode.Should().Be(HttpStatusCode.OK);
        ended.State.Should().Be(SagaState.Completed);
        (after - before).Should().BeLessThan(HeapBound, "refused requests leave nothing behind");
        codes.Keys.Should().Contain(["experience.invalid_request", "experience.payload_too_large", "intake.payload_too_large", "intake.invalid_intent", "intake.unknown_intent_type", "intake.invalid_payload"]);
    }

    [Fact]
    public async Task Every_bad_intent_through_the_NET_intake_is_refused_with_a_catalogued_code()
    {
        var budget = ReliabilitySuite.Budget(5_000, 50_000);
        var intake = _host.Services.GetRequiredService<IIntentIntake>();
        var account = _host.Accounts[0];
        var defects = new List<string>();
        var codes = new Dictionary<string, int>();
        var submitted = 0;

        var text = Gen.OneOf(
            Gen.Elements("rel.note", "rel.approve", "REL.NOTE ", "", " ", "rel", "rel.nothing", "symphainy.signal", "symphainy.cancel", "a.b.c.d", "rel.note\n", "\u0000", "rel.\uD800note"),
            Gen.ArrayOf(Gen.Choose(0, 0xFFFF).Select(c => (char)c)).Select(c => new string(c)),
            Gen.Choose(1, 5000).Select(n => "rel." + new string('x', n)));
        var json = Gen.OneOf(
            Gen.Elements("{}", "null", "[]", "\"x\"", "5", "{\"text\":\"x\"}", "{\"text\":5}", "{\"sagaId\":\"sag_1\"}", "{\"text\":\"\\ud800\"}", "{\"sagaId\":\"" + _waiting + "\"}"),
            Gen.Choose(1, 200).Select(depth => new string('[', depth) + new string(']', depth)),
            Gen.Choose(1, 2 * BadInputCases.MaxPayloadBytes).Select(n => JsonSerializer.Serialize(new { text = new string('y', n) })));
        var metadata = Gen.OneOf(
            Gen.Constant<Dictionary<string, string>?>(null),
            Gen.Choose(0, 40).SelectMany(n => text.Select(t => (Dictionary<string, string>?)Enumerable.Range(0, n).ToDictionary(i => i + t, _ => t))));
        var intents =
            from type in text
            from payload in json
            from meta in metadata
            from key in Gen.OneOf(Gen.Constant<string?>(null), text.Select(t => (string?)t))
            from version in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(-3, 3).Select(v => (int?)v))
            from tenant in Gen.Frequency((8, Gen.Constant(account.Tenant)), (1, Gen.Constant(default(TenantId))), (1, Gen.Constant(_host.Accounts[1].Tenant)))
            select (Type: type, Payload: payload, Metadata: meta, Key: key, Version: version, Tenant: tenant);

        var property = Prop.ForAll(Arb.From(intents), c =>
        {
            submitted++;
            JsonElement payload;
            try
            {
                payload = JsonSerializer.Deserialize<JsonElement>(c.Payload, new JsonSerializerOptions { MaxDepth = 256 });
            }
            catch (JsonException)
            {
                payload = default;
            }

            using var scope = SymphainyPrincipal.Use(account.Principal);
            try
            {
                intake.SubmitAsync(new Intent(c.Type, c.Tenant, payload, null, c.Key, c.Metadata, c.Version)).AsTask().GetAwaiter().GetResult();
                codes["(accepted)"] = codes.GetValueOrDefault("(accepted)") + 1;
            }
            catch (SymphainyException e)
            {
                codes[e.Code] = codes.GetValueOrDefault(e.Code) + 1;
                if (!Catalogue.Codes.Contains(e.Code))
                {
                    defects.Add($"{Show(c.Type)}: code {e.Code} is not catalogued");
                }
            }
            catch (Exception e)
            {
                defects.Add($"{Show(c.Type)} / {Show(c.Payload)}: {e.GetType().Name} instead of a typed error: {e.Message}");
            }

            return true;
        });
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(budget).WithQuietOnSuccess(true), property));

        output.WriteLine($"{submitted} intents; " + string.Join(", ", codes.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        foreach (var defect in defects.Take(30))
        {
            output.WriteLine("DEFECT " + defect);
        }

        ReliabilitySuite.Record("bad input", ".NET intents fuzzed", submitted, defects.Count);
        defects.Should().BeEmpty();
        codes.Keys.Should().Contain(["intake.invalid_intent", "intake.unknown_intent_type", "intake.invalid_payload", "security.forbidden"]);
    }

    [Fact]
    public async Task An_idempotency_key_replayed_with_another_payload_is_refused_not_answered_with_the_first_execution()
    {
        var attempts = ReliabilitySuite.Budget(50, 500);
        var defects = new List<string>();
        for (var i = 0; i < attempts; i++)
        {
            var key = $"replay-{Guid.NewGuid():N}";
            using var first = await PostIntentAsync(key, new { type = "rel.note", payload = new { text = "first" } });
            first.StatusCode.Should().Be(HttpStatusCode.Accepted);
            var execution = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("execution").GetString();

            // The same key and the same intent: the first execution, as a duplicate.
            using var same = await PostIntentAsync(key, new { type = "rel.note", payload = new { text = "first" } });
            var again = await same.Content.ReadFromJsonAsync<JsonElement>();
            if (same.StatusCode != HttpStatusCode.Accepted || again.GetProperty("execution").GetString() != execution || !again.GetProperty("duplicate").GetBoolean())
            {
                defects.Add($"the same intent again answered {(int)same.StatusCode} {again}");
            }

            // The same key with another payload, or another intent type: refused, typed.
            object[] others = [new { type = "rel.note", payload = new { text = "second" } }, new { type = "rel.approve", payload = new { text = "first" } }];
            using var other = await PostIntentAsync(key, others[i % 2]);
            var problem = await Problem.ReadAsync(other);
            if (problem.Defect("intake.idempotency_key_reused") is { } defect)
            {
                defects.Add($"key {key} replayed with another intent: {defect}");
            }
        }

        foreach (var defect in defects.Take(10))
        {
            output.WriteLine("DEFECT " + defect);
        }

        ReliabilitySuite.Record("bad input", "idempotency keys replayed with other payloads", attempts, defects.Count);
        defects.Should().BeEmpty();
    }

    [Fact]
    public async Task Bad_WebSocket_subscriptions_and_garbage_frames_get_a_typed_refusal_or_a_close_with_a_reason()
    {
        var budget = ReliabilitySuite.Budget(60, 600);
        var account = _host.Accounts[0];
        var defects = new List<string>();
        var cases = 0;

        // Refused before the upgrade: a problem answer (read with a plain upgrade request, so its body can be checked).
        string[] queries = ["execution=sag_x", "session=ses_123", $"execution={_waiting}&session=ses_0190a1b2c3d4e5f60718293a4b5c6d7e", "from=0", "from=abc",
            "from=-7", "execution=%00", "session=" + new string('s', 5000), "execution=sag_%C3%28"];
        foreach (var query in queries)
        {
            cases++;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/events?{query}");
            request.Headers.Add("Connection", "Upgrade");
            request.Headers.Add("Upgrade", "websocket");
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
            using var response = await _client.SendAsync(request);
            if ((await Problem.ReadAsync(response)).Defect("experience.invalid_request", "events.invalid_position") is { } defect)
            {
                defects.Add($"upgrade with {query[..Math.Min(query.Length, 60)]}: {defect}");
            }
        }

        cases++;
        using (var plain = await _client.GetAsync("/v1/events"))
        {
            if ((await Problem.ReadAsync(plain)).Defect("experience.invalid_request") is { } defect)
            {
                defects.Add($"GET /v1/events without an upgrade: {defect}");
            }
        }

        // Accepted subscriptions fed garbage: binary frames, huge messages, invalid UTF-8. The server either ignores
        // them (the subscription stays alive: a new execution's events still arrive) or closes with a status.
        var random = new Random(18);
        var droppedWithoutStatus = 0;
        for (var i = 0; i < budget; i++)
        {
            cases++;
            using var socket = await _host.ConnectAsync("", account);
            var kind = i % 4;
            byte[] garbage = kind switch
            {
                0 => [.. Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256))],
                1 => Encoding.UTF8.GetBytes(new string('z', 2 * 1024 * 1024)),
                2 => [0x7B, 0xC3, 0x28, 0xFF, 0xFE, 0x7D],
                _ => Encoding.UTF8.GetBytes("""{"type":"subscribe","execution":"sag_x"}"""),
            };
            await socket.SendAsync(garbage, kind == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
            // After a frame that is not UTF-8 nothing is submitted: the connection must end by itself (an event of a
            // new execution could otherwise race the server's failing receive).
            var execution = kind == 2 ? "(none)" : await SubmitValidAsync("rel.note");
            var outcome = await UntilEventOrCloseAsync(socket, execution);
            if (kind == 2)
            {
                // A text frame that is not UTF-8 breaks the WebSocket protocol: .NET's WebSocket under ASP.NET Core
                // fails the server's receive, writes a 1007 close and aborts the connection itself; the client here
                // sees the connection end without a close status. The application never gets the frame, so what it
                // controls is that the connection ends (no hang) and the next subscriptions work (the next iterations).
                if (outcome is not null)
                {
                    defects.Add("a text frame that is not UTF-8 did not end the subscription");
                }
                else if (socket.CloseStatus is null)
                {
                    droppedWithoutStatus++;
                }
            }
            else if (outcome is null)
            {
                defects.Add(socket.CloseStatus is null
                    ? $"garbage of kind {kind}: the connection dropped without a close status ({s_lastError})"
                    : $"garbage of kind {kind} (valid frames) closed the subscription: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            if (socket.State == WebSocketState.Open)
            {
                try
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                }
                catch (WebSocketException) when (kind == 2)
                {
                    // The server's WebSocket already failed this connection (above); the client may not have noticed
                    // yet and finds the connection reset when it tries to close.
                }
            }
        }

        using var health = await _client.GetAsync("/v1/health/live");
        foreach (var defect in defects.Take(20))
        {
            output.WriteLine("DEFECT " + defect);
        }

        output.WriteLine($"{cases} WebSocket cases; {droppedWithoutStatus} of {budget / 4} text frames that are not UTF-8 ended the connection without a close status reaching the client");
        ReliabilitySuite.Record("bad input", "WebSocket cases", cases, defects.Count);
        ReliabilitySuite.Record("bad input", "WS text not UTF-8: no close status (known)", budget / 4, droppedWithoutStatus);
        defects.Should().BeEmpty();
        health.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>True when <paramref name="execution"/>'s event arrived, null when the server closed first.</summary>
    private static string? s_lastError;

    private static async Task<bool?> UntilEventOrCloseAsync(ClientWebSocket socket, string execution)
    {
        while (true)
        {
            JsonElement? message;
            try
            {
                message = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(30));
            }
            catch (WebSocketException e)
            {
                s_lastError = $"{e.WebSocketErrorCode}: {e.Message}";
                return null;
            }

            if (message is not { } m)
            {
                return null;
            }

            if (m.GetProperty("type").GetString() == "event" && m.GetProperty("event").GetProperty("execution").GetString() == execution)
            {
                return true;
            }
        }
    }

    private async Task<HttpResponseMessage> PostIntentAsync(string key, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ApiHost.Json(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await _client.SendAsync(request);
    }

    private async Task<string> SubmitValidAsync(string type)
    {
        using var response = await _client.PostAsync("/v1/intents", ApiHost.Json(new { type, payload = new { text = "valid" } }));
        response.StatusCode.Should().Be(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("execution").GetString()!;
    }

    private static long HeapAfterCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Show(string text) => text.Length > 40 ? text[..40] + $"…({text.Length})" : text;
}

/// <summary>Tests that measure the whole process (heap, handles, threads) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAlone
{
    public const string Name = "measured alone";
}
