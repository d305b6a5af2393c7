using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.SmartCity;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Isolation;

/// <summary>
/// Tenant isolation, property-based: FsCheck generates operations of several tenants (sessions, intents, reads of
/// executions, their events and artifacts, signals, cancellations, idempotency keys, event subscriptions) over the
/// REST API, the WebSocket and the public .NET APIs, most of them aimed at ids another tenant owns (or that never
/// existed). A model of what each tenant owns checks every answer: one's own data is served, another's is "not found"
/// exactly like an id that never existed (never the data, never a 500), and no answer, event or log-read carries an
/// id or a private marker of another tenant. Writes aimed at another tenant's executions must change nothing.
/// </summary>
public sealed class TenantIsolationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Tenants = 3;
    private const int OperationsPerRun = 250;

    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);

    private ApiHost _host = null!;
    private HttpClient[] _clients = null!;
    private readonly TenantModel _model = new(Tenants);
    private readonly Dictionary<string, (string Execution, string Text)>[] _keys = [.. Enumerable.Range(0, Tenants).Select(_ => new Dictionary<string, (string, string)>(StringComparer.Ordinal))];
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly Dictionary<string, int> _counts = [];
    private int _operations;

    public async Task InitializeAsync()
    {
        // Few ended sagas kept in memory: older ones are answered from the state graph, so both paths are read.
        _host = await ApiHost.StartAsync(new ApiHostOptions
        {
            Tenants = Tenants,
            Settings = new() { ["Symphainy:Sagas:EndedSagasKept"] = "100" },
        });
        _clients = [.. _host.Accounts.Select(_host.Client)];
        foreach (var account in _host.Accounts)
        {
            _model.Own(account.Index, account.Tenant.ToString());
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _host.DisposeAsync();
    }

    private enum Kind
    {
        CreateSession, GetSession, EndSession, Submit, SubmitInSession, SubmitWithKey, GetExecution, GetEvents, GetArtifacts, Signal, Cancel,
        NetGetExecution, NetGetSession, NetSubmitForTenant, NetSubmitInSession, NetSignal, NetCancel, NetEngineSignal, NetSubscribe,
        WsExecution, WsSession,
    }

    /// <summary>One generated operation: who acts, whose thing it aims at (-1: something that never existed), which one.</summary>
    private sealed record Op(Kind Kind, int Actor, int Owner, int Pick, int Variant);

    private static Gen<Op> Operation() =>
        from kind in Gen.Frequency(
            (6, Gen.Constant(Kind.CreateSession)), (6, Gen.Constant(Kind.GetSession)), (2, Gen.Constant(Kind.EndSession)),
            (10, Gen.Constant(Kind.Submit)), (5, Gen.Constant(Kind.SubmitInSession)), (3, Gen.Constant(Kind.SubmitWithKey)),
            (10, Gen.Constant(Kind.GetExecution)), (6, Gen.Constant(Kind.GetEvents)), (6, Gen.Constant(Kind.GetArtifacts)),
            (5, Gen.Constant(Kind.Signal)), (3, Gen.Constant(Kind.Cancel)),
            (6, Gen.Constant(Kind.NetGetExecution)), (4, Gen.Constant(Kind.NetGetSession)), (4, Gen.Constant(Kind.NetSubmitForTenant)),
            (3, Gen.Constant(Kind.NetSubmitInSession)), (3, Gen.Constant(Kind.NetSignal)), (2, Gen.Constant(Kind.NetCancel)),
            (3, Gen.Constant(Kind.NetEngineSignal)), (2, Gen.Constant(Kind.NetSubscribe)),
            (2, Gen.Constant(Kind.WsExecution)), (1, Gen.Constant(Kind.WsSession)))
        from actor in Gen.Choose(0, Tenants - 1)
        // Aimed at another tenant's thing most of the time, at one that never existed sometimes, at one's own the rest.
        from aim in Gen.Frequency((45, Gen.Constant(0)), (15, Gen.Constant(1)), (40, Gen.Constant(2)))
        from other in Gen.Choose(1, Tenants - 1)
        from pick in Gen.Choose(0, 1_000_000)
        from variant in Gen.Choose(0, 99)
        select new Op(kind, actor, aim switch { 0 => (actor + other) % Tenants, 1 => -1, _ => actor }, pick, variant);

    [Fact]
    public async Task No_tenant_ever_sees_or_changes_another_tenants_data()
    {
        var budget = ReliabilitySuite.Budget(10_000, 50_000);
        var runs = Math.Max(1, budget / OperationsPerRun);

        // Every tenant follows its whole stream all along, over the WebSocket and the .NET engine.
        using var stop = new CancellationTokenSource();
        var followers = _host.Accounts.SelectMany(a => new[] { FollowSocketAsync(a, stop.Token), FollowEngineAsync(a, stop.Token) }).ToArray();

        var property = Prop.ForAll(Arb.From(Gen.ListOf(Operation(), OperationsPerRun)), operations =>
        {
            foreach (var op in operations)
            {
                RunAsync(op).GetAwaiter().GetResult();
            }

            return _violations.IsEmpty;
        });
        // Off xUnit's synchronization context: the operations block on their own awaits inside the property.
        try
        {
            await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(runs).WithQuietOnSuccess(true), property));
        }
        finally
        {
            if (!_violations.IsEmpty)
            {
                await stop.CancelAsync();
                foreach (var violation in _violations.Take(30))
                {
                    output.WriteLine("VIOLATION " + violation);
                }
            }
        }

        // Writes aimed at another tenant changed nothing: an approval its owner never signalled or cancelled still waits.
        var waiting = 0;
        for (var tenant = 0; tenant < Tenants; tenant++)
        {
            foreach (var execution in _model.Executions[tenant].Where(e => e.Capability == "rel.approve" && !e.TouchedByOwner))
            {
                var snapshot = await _host.Engine.GetAsync(_host.Accounts[tenant].Tenant, SagaId.Parse(execution.Id));
                if (snapshot is not { State: SagaState.Waiting })
                {
                    Violation($"approval {execution.Id} of tenant {tenant} was touched only by other tenants but is {snapshot?.State.ToString() ?? "gone"}");
                }

                waiting++;
            }
        }

        // Let the followers catch up with the log's end, then stop them and check what they saw.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        var followed = (await Task.WhenAll(followers)).Sum();

        var executions = _model.Executions.Sum(e => e.Count);
        output.WriteLine($"{_operations} operations in {runs} runs of {OperationsPerRun}; {executions} executions, {_model.Sessions.Sum(s => s.Count)} sessions; " +
            $"{waiting} approvals left to other tenants' writes still waiting; {followed} events followed; violations: {_violations.Count}");
        output.WriteLine(string.Join(", ", _counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        foreach (var violation in _violations.Take(20))
        {
            output.WriteLine("VIOLATION " + violation);
        }

        ReliabilitySuite.Record("isolation", "cross-tenant operations", _operations, _violations.Count);
        _violations.Should().BeEmpty();
        _operations.Should().BeGreaterThanOrEqualTo(budget);
        executions.Should().BeGreaterThan(budget / 10, "the operations started executions to borrow");
        followed.Should().BeGreaterThan(executions, "the followers saw the tenants' own events");
        _counts.Keys.Should().HaveCount(Enum.GetValues<Kind>().Length, "every kind of operation ran");
    }

    /// <summary>What the current operation itself named (an error may repeat it: that tells the caller nothing new).</summary>
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    private async Task RunAsync(Op op)
    {
        _asked.Clear();
        _operations++;
        _counts[op.Kind.ToString()] = _counts.GetValueOrDefault(op.Kind.ToString()) + 1;
        var actor = _host.Accounts[op.Actor];
        var client = _clients[op.Actor];
        var own = op.Owner == op.Actor;
        switch (op.Kind)
        {
            case Kind.CreateSession:
            {
                using var response = await client.PostAsync("/v1/sessions", ApiHost.Json(new { ttlSeconds = 3600, attributes = new { owner = TenantModel.Marker(op.Actor) } }));
                var body = await ReadAsync(op, response, HttpStatusCode.Created, null);
                if (body is { } created)
                {
                    var id = created.GetProperty("id").GetString()!;
                    _model.Sessions[op.Actor].Add(id);
                    _model.Own(op.Actor, id);
                }

                break;
            }

            case Kind.GetSession:
            {
                var (session, owner) = PickSession(op);
                using var response = await client.GetAsync($"/v1/sessions/{session}");
                var body = await ReadAsync(op, response, owner == op.Actor ? HttpStatusCode.OK : HttpStatusCode.NotFound, owner == op.Actor ? null : "session.not_found");
                if (body is { } found && found.GetProperty("id").GetString() != session)
                {
                    Violation($"{op}: asked for session {session}, got {found}");
                }

                break;
            }

            case Kind.EndSession:
            {
                var (session, owner) = PickSession(op);
                using var response = await client.DeleteAsync($"/v1/sessions/{session}");
                await ReadAsync(op, response, owner == op.Actor ? HttpStatusCode.NoContent : HttpStatusCode.NotFound, owner == op.Actor ? null : "session.not_found");
                if (owner == op.Actor)
                {
                    _model.EndedSessions[op.Actor].Add(session);
                }

                break;
            }

            case Kind.Submit:
            case Kind.SubmitInSession:
            {
                var capability = Capability(op);
                var marker = TenantModel.Marker(op.Actor);
                (string? Id, int Owner) target = op.Kind == Kind.SubmitInSession ? PickSession(op) : (null, op.Actor);
                var (session, owner) = target;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ApiHost.Json(new { type = capability, payload = new { text = marker } }) };
                if (session is not null)
                {
                    request.Headers.Add("X-Symphainy-Session", session);
                }

                using var response = await client.SendAsync(request);
                var ended = session is not null && owner == op.Actor && _model.EndedSessions[op.Actor].Contains(session);
                var (status, code) = owner != op.Actor ? (HttpStatusCode.NotFound, "session.not_found")
                    : ended ? (HttpStatusCode.Conflict, "session.ended")
                    : (HttpStatusCode.Accepted, (string?)null);
                if (await ReadAsync(op, response, status, code) is { } accepted)
                {
                    Accepted(op.Actor, accepted, capability, marker, session);
                }

                break;
            }

            case Kind.SubmitWithKey:
            {
                // An idempotency key another tenant used is a fresh key here: it must never answer with their execution.
                var keys = op.Owner >= 0 ? _keys[op.Owner] : [];
                var key = keys.Count > 0 && op.Owner != op.Actor ? keys.Keys.ElementAt(op.Pick % keys.Count) : $"key-{Guid.NewGuid():N}";
                var earlier = _keys[op.Actor].TryGetValue(key, out var first) ? first : ((string Execution, string Text)?)null;
                var marker = earlier?.Text ?? TenantModel.Marker(op.Actor);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ApiHost.Json(new { type = "rel.note", payload = new { text = marker } }) };
                request.Headers.Add("Idempotency-Key", key);
                using var response = await client.SendAsync(request);
                if (await ReadAsync(op, response, HttpStatusCode.Accepted, null) is { } accepted)
                {
                    var execution = accepted.GetProperty("execution").GetString()!;
                    var duplicate = accepted.GetProperty("duplicate").GetBoolean();
                    if (earlier is { } was)
                    {
                        if (!duplicate || execution != was.Execution)
                        {
                            Violation($"{op}: key {key} resent by its tenant answered {accepted}, not its first execution {was.Execution}");
                        }
                    }
                    else if (duplicate)
                    {
                        Violation($"{op}: key {key}, new to tenant {op.Actor} (used by tenant {op.Owner}), answered as a duplicate: {accepted}");
                    }
                    else
                    {
                        Accepted(op.Actor, accepted, "rel.note", marker, null);
                        _keys[op.Actor][key] = (execution, marker);
                    }
                }

                break;
            }

            case Kind.GetExecution:
            case Kind.GetEvents:
            case Kind.GetArtifacts:
            {
                var (execution, owner) = PickExecution(op);
                var path = op.Kind switch { Kind.GetExecution => "", Kind.GetEvents => "/events", _ => "/artifacts" };
                using var response = await client.GetAsync($"/v1/executions/{execution}{path}");
                var mine = owner == op.Actor;
                var body = await ReadAsync(op, response, mine ? HttpStatusCode.OK : HttpStatusCode.NotFound, mine ? null : "saga.not_found");
                if (body is { } found)
                {
                    var items = found.ValueKind == JsonValueKind.Array ? found.EnumerateArray().ToArray() : [found];
                    var field = op.Kind == Kind.GetExecution ? "id" : "execution";
                    if (items.Any(i => i.GetProperty(field).GetString() != execution))
                    {
                        Violation($"{op}: asked for execution {execution}, got items of another: {found}");
                    }
                }

                break;
            }

            case Kind.Signal:
            case Kind.Cancel:
            {
                var (execution, owner) = PickExecution(op);
                var mine = owner == op.Actor;
                using var response = op.Kind == Kind.Signal
                    ? await client.PostAsync($"/v1/executions/{execution}/signals/approve", ApiHost.Json(new { approved = true, by = TenantModel.Marker(op.Actor) }))
                    : await client.PostAsync($"/v1/executions/{execution}/cancel", ApiHost.Json(new { reason = TenantModel.Marker(op.Actor) }));
                if (!mine)
                {
                    await ReadAsync(op, response, HttpStatusCode.NotFound, "saga.not_found");
                }
                else
                {
                    Touched(op.Actor, execution);
                    await ReadAsync(op, response, response.StatusCode == HttpStatusCode.Conflict ? HttpStatusCode.Conflict : HttpStatusCode.Accepted,
                        response.StatusCode == HttpStatusCode.Conflict ? "saga.already_ended" : null);
                }

                break;
            }

            case Kind.NetGetExecution:
            {
                var (execution, owner) = PickExecution(op);
                var snapshot = await _host.Engine.GetAsync(actor.Tenant, SagaId.Parse(execution));
                Expect(op, owner == op.Actor ? snapshot is not null && snapshot.Tenant == actor.Tenant && snapshot.Id.ToString() == execution : snapshot is null,
                    $"engine.GetAsync of {execution} (tenant {owner}) for tenant {op.Actor} answered {snapshot}");
                if (snapshot?.Output is { } outputJson)
                {
                    Scan(op, outputJson.GetRawText());
                }

                break;
            }

            case Kind.NetGetSession:
            {
                var (session, owner) = PickSession(op);
                var found = await _host.Services.GetRequiredService<ISessionRegistry>().GetAsync(actor.Tenant, SessionId.Parse(session));
                Expect(op, owner == op.Actor ? found is not null && found.Id.ToString() == session : found is null,
                    $"sessions.GetAsync of {session} (tenant {owner}) for tenant {op.Actor} answered {found}");
                break;
            }

            case Kind.NetSubmitForTenant:
            {
                // The principal is the actor's; the intent names the target tenant.
                var tenant = op.Owner >= 0 ? _host.Accounts[op.Owner].Tenant : Ids.Next<TenantId>();
                _asked.Add(tenant.ToString());
                var marker = TenantModel.Marker(op.Actor);
                var result = await SubmitAsNetAsync(actor, new Intent("rel.note", tenant, Payload(marker)));
                if (op.Owner == op.Actor)
                {
                    ExpectAccepted(op, result, "rel.note", marker, null);
                }
                else
                {
                    ExpectCode(op, result, "security.forbidden");
                }

                break;
            }

            case Kind.NetSubmitInSession:
            {
                var (session, owner) = PickSession(op);
                var marker = TenantModel.Marker(op.Actor);
                var result = await SubmitAsNetAsync(actor, new Intent("rel.note", actor.Tenant, Payload(marker), SessionId.Parse(session)));
                if (owner != op.Actor)
                {
                    ExpectCode(op, result, "session.not_found");
                }
                else if (_model.EndedSessions[op.Actor].Contains(session))
                {
                    ExpectCode(op, result, "session.ended");
                }
                else
                {
                    ExpectAccepted(op, result, "rel.note", marker, session);
                }

                break;
            }

            case Kind.NetSignal:
            case Kind.NetCancel:
            {
                var (execution, owner) = PickExecution(op);
                var payload = op.Kind == Kind.NetSignal
                    ? JsonSerializer.SerializeToElement(new { sagaId = execution, name = "approve", value = new { approved = false, by = TenantModel.Marker(op.Actor) } })
                    : JsonSerializer.SerializeToElement(new { sagaId = execution, reason = TenantModel.Marker(op.Actor) });
                var result = await SubmitAsNetAsync(actor, new Intent(op.Kind == Kind.NetSignal ? BuiltInIntents.Signal : BuiltInIntents.Cancel, actor.Tenant, payload));
                if (owner != op.Actor)
                {
                    ExpectCode(op, result, "saga.not_found");
                }
                else
                {
                    Touched(op.Actor, execution);
                    Expect(op, result.Acceptance?.Execution.ToString() == execution || result.Error?.Code == "saga.already_ended", $"own control intent answered {result}");
                }

                break;
            }

            case Kind.NetEngineSignal:
            {
                var (execution, owner) = PickExecution(op);
                if (owner == op.Actor)
                {
                    // The owner's own signal through the engine is delivered (or its saga already ended).
                    Touched(op.Actor, execution);
                    try
                    {
                        await _host.Engine.SignalAsync(actor.Tenant, SagaId.Parse(execution), "approve", JsonSerializer.SerializeToElement(new { approved = true, by = TenantModel.Marker(op.Actor) }));
                    }
                    catch (SymphainyException e)
                    {
                        Expect(op, e.Code == "saga.already_ended", $"the owner's engine signal threw {e.Code}: {e.Message}");
                    }

                    break;
                }

                try
                {
                    var position = await _host.Engine.SignalAsync(actor.Tenant, SagaId.Parse(execution), "approve", JsonSerializer.SerializeToElement(new { approved = true, by = "x" }));
                    Violation($"{op}: engine.SignalAsync of tenant {op.Actor} on {execution} (tenant {owner}) was recorded at {position}");
                }
                catch (SymphainyException e)
                {
                    Expect(op, e.Code == "saga.not_found", $"engine.SignalAsync on another's execution threw {e.Code}: {e.Message}");
                    Scan(op, e.Message);
                }

                break;
            }

            case Kind.NetSubscribe:
            {
                var tenant = op.Owner >= 0 && op.Owner != op.Actor ? _host.Accounts[op.Owner].Tenant : Ids.Next<TenantId>();
                using var scope = SymphainyPrincipal.Use(actor.Principal);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await foreach (var e in _host.Services.GetRequiredService<PostOffice>().SubscribeAsync($"iso-{op.Actor}", tenant, null, 1, timeout.Token))
                    {
                        Violation($"{op}: tenant {op.Actor} subscribed to tenant {tenant}'s events and got {e}");
                        break;
                    }
                }
                catch (SymphainyException e)
                {
                    Expect(op, e.Code == "security.forbidden", $"subscribing to another tenant threw {e.Code}");
                }
                catch (OperationCanceledException)
                {
                    Violation($"{op}: subscribing to another tenant's events was not refused");
                }

                break;
            }

            case Kind.WsExecution:
            case Kind.WsSession:
            {
                var (id, owner) = op.Kind == Kind.WsExecution ? PickExecution(op) : PickSession(op);
                await WebSocketAsync(op, op.Kind == Kind.WsExecution ? "execution" : "session", id, owner);
                break;
            }
        }
    }

    /// <summary>One subscription over the WebSocket: one's own execution streams its events, anything else is refused with a close reason.</summary>
    private async Task WebSocketAsync(Op op, string scope, string id, int owner)
    {
        using var socket = await _host.ConnectAsync($"{scope}={id}", _host.Accounts[op.Actor]);
        if (owner == op.Actor && scope == "execution")
        {
            // Heartbeats may come first on a loaded machine; the first event must be this execution's.
            var message = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(60));
            while (message is { } beat && beat.GetProperty("type").GetString() == "heartbeat")
            {
                message = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(60));
            }

            Expect(op, message is { } m && m.GetProperty("type").GetString() == "event" && m.GetProperty("event").GetProperty("execution").GetString() == id,
                $"own execution's stream sent {message}");
            if (message is { } sent)
            {
                Scan(op, sent.GetRawText());
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            return;
        }

        if (owner == op.Actor)
        {
            // One's own session: subscribed; nothing to wait for (it may have no executions).
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            return;
        }

        var error = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(30));
        Expect(op, error is { } e && e.GetProperty("type").GetString() == "error" && e.GetProperty("code").GetString() == "security.forbidden",
            $"a subscription to another tenant's {scope} sent {error}");
        if (error is { } refused)
        {
            Scan(op, refused.GetRawText());
        }

        var close = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(30));
        Expect(op, close is null && socket.CloseStatus == WebSocketCloseStatus.PolicyViolation && socket.CloseStatusDescription == "security.forbidden",
            $"after the refusal the socket was not closed with a reason: {close} {socket.CloseStatus} '{socket.CloseStatusDescription}'");
        if (socket.State == WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }

    private async Task<int> FollowSocketAsync(TenantAccount account, CancellationToken stop)
    {
        var seen = 0;
        try
        {
            using var socket = await _host.ConnectAsync("", account);
            while (!stop.IsCancellationRequested)
            {
                if (await ReceiveOrStopAsync(socket, stop) is not { } message)
                {
                    break;
                }

                if (message.GetProperty("type").GetString() == "event")
                {
                    seen++;
                    var execution = message.GetProperty("event").GetProperty("execution").GetString()!;
                    if (_model.OwnerOf(execution) is { } owner && owner != account.Index)
                    {
                        Violation($"tenant {account.Index}'s WebSocket stream carried tenant {owner}'s execution {execution}");
                    }

                    foreach (var foreign in _model.Foreign(account.Index, message.GetRawText()))
                    {
                        Violation($"tenant {account.Index}'s WebSocket stream carried {foreign}");
                    }
                }
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or WebSocketException)
        {
        }

        return seen;
    }

    private static async Task<JsonElement?> ReceiveOrStopAsync(WebSocket socket, CancellationToken stop)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, stop);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                using var document = JsonDocument.Parse(message.ToArray());
                return document.RootElement.Clone();
            }
        }
    }

    private async Task<int> FollowEngineAsync(TenantAccount account, CancellationToken stop)
    {
        var seen = 0;
        try
        {
            await foreach (var e in _host.Engine.WatchAsync(account.Tenant, null, 1, stop))
            {
                seen++;
                if (e.Tenant != account.Tenant || (_model.OwnerOf(e.Saga.ToString()) is { } owner && owner != account.Index))
                {
                    Violation($"tenant {account.Index}'s engine watch carried {e}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return seen;
    }

    private async Task<JsonElement?> ReadAsync(Op op, HttpResponseMessage response, HttpStatusCode expected, string? expectedCode)
    {
        var text = await response.Content.ReadAsStringAsync();
        Scan(op, text);
        if ((int)response.StatusCode >= 500)
        {
            Violation($"{op}: {(int)response.StatusCode} {text}");
            return null;
        }

        if (response.StatusCode != expected)
        {
            Violation($"{op}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
            return null;
        }

        if (expectedCode is not null)
        {
            var code = response.Content.Headers.ContentType?.MediaType == "application/problem+json" && text.Length > 0
                ? JsonDocument.Parse(text).RootElement.GetProperty("code").GetString()
                : null;
            Expect(op, code == expectedCode, $"expected problem {expectedCode}, got {response.Content.Headers.ContentType} {text}");
            return null;
        }

        return text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone();
    }

    private void Scan(Op op, string text)
    {
        foreach (var foreign in _model.Foreign(op.Actor, text, _asked))
        {
            Violation($"{op}: tenant {op.Actor} was shown {foreign}");
        }
    }

    private void Expect(Op op, bool condition, string problem)
    {
        if (!condition)
        {
            Violation($"{op}: {problem}");
        }
    }

    private void Violation(string problem) => _violations.Enqueue(problem);

    private sealed record NetResult(IntentAcceptance? Acceptance, SymphainyException? Error);

    private async Task<NetResult> SubmitAsNetAsync(TenantAccount actor, Intent intent)
    {
        using var scope = SymphainyPrincipal.Use(actor.Principal);
        try
        {
            return new NetResult(await _host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(intent), null);
        }
        catch (SymphainyException e)
        {
            return new NetResult(null, e);
        }
    }

    private void ExpectCode(Op op, NetResult result, string code)
    {
        Expect(op, result.Error?.Code == code, $"expected {code}, got {(object?)result.Acceptance ?? result.Error?.Code}");
        if (result.Error is { } e)
        {
            Scan(op, e.Message);
        }
    }

    private void ExpectAccepted(Op op, NetResult result, string capability, string marker, string? session)
    {
        if (result.Acceptance is not { } acceptance)
        {
            Violation($"{op}: expected an acceptance, got {result.Error?.Code}: {result.Error?.Message}");
            return;
        }

        var execution = acceptance.Execution.ToString();
        if (_model.OwnerOf(execution) is { } owner && owner != op.Actor)
        {
            Violation($"{op}: accepted as tenant {owner}'s execution {execution}");
        }

        _model.Own(op.Actor, execution);
        _model.Own(op.Actor, acceptance.Intent.ToString());
        _model.Own(op.Actor, marker);
        _model.Executions[op.Actor].Add(new TenantModel.Execution(execution, capability, marker, session));
    }

    private void Accepted(int actor, JsonElement accepted, string capability, string marker, string? session)
    {
        var execution = accepted.GetProperty("execution").GetString()!;
        if (_model.OwnerOf(execution) is { } owner && owner != actor)
        {
            Violation($"tenant {actor}'s intent was accepted as tenant {owner}'s execution {execution}");
        }

        _model.Own(actor, execution);
        _model.Own(actor, accepted.GetProperty("intent").GetString()!);
        _model.Own(actor, marker);
        _model.Executions[actor].Add(new TenantModel.Execution(execution, capability, marker, session));
    }

    private void Touched(int actor, string execution)
    {
        foreach (var e in _model.Executions[actor].Where(e => e.Id == execution))
        {
            e.TouchedByOwner = true;
        }
    }

    private static string Capability(Op op) => (op.Variant % 4) switch { 0 or 1 => "rel.note", 2 => "rel.approve", _ => "rel.explain" };

    private static JsonElement Payload(string text) => JsonSerializer.SerializeToElement(new { text });

    private (string Id, int Owner) PickExecution(Op op)
    {
        var list = op.Owner >= 0 ? _model.Executions[op.Owner] : [];
        var picked = list.Count == 0 ? (Ids.Next<SagaId>().ToString(), -1) : (list[op.Pick % list.Count].Id, op.Owner);
        _asked.Add(picked.Item1);
        return picked;
    }

    private (string Id, int Owner) PickSession(Op op)
    {
        var list = op.Owner >= 0 ? _model.Sessions[op.Owner] : [];
        var picked = list.Count == 0 ? (Ids.Next<SessionId>().ToString(), -1) : (list[op.Pick % list.Count], op.Owner);
        _asked.Add(picked.Item1);
        return picked;
    }
}
