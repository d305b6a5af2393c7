using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.SmartCity;
using Symphainy.Wal;

namespace Symphainy.Experience;

/// <summary>
/// <c>GET /v1/events</c>: one execution's, one session's or the tenant's execution events over a WebSocket, read from
/// the durable log through the Post Office (so its slow-subscriber policy applies), from <c>from</c> on, with heartbeats.
/// </summary>
internal static class EventStream
{
    private const string Subscriber = "experience-websocket";

    public static async Task HandleAsync(HttpContext http)
    {
        var services = http.RequestServices;
        SymphainyPrincipal principal;
        SagaId? execution;
        SessionId? session;
        long from;
        try
        {
            principal = Requests.Authenticate(http, services.GetRequiredService<SecurityGuard>(), allowQueryToken: true);
            execution = Requests.OptionalId<SagaId>(http.Request.Query["execution"].ToString(), "execution");
            session = Requests.OptionalId<SessionId>(http.Request.Query["session"].ToString(), "session");
            if (execution is not null && session is not null)
            {
                throw Requests.Invalid("Subscribe to one execution, one session, or neither (the tenant's stream), not both.");
            }

            from = Requests.OptionalPosition(http) ?? 1;
            if (!http.WebSockets.IsWebSocketRequest)
            {
                throw Requests.Invalid("GET /v1/events is a WebSocket endpoint: send an upgrade request.");
            }
        }
        catch (SymphainyException error)
        {
            await Problems.Result(error).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var connection = new Connection(socket, services.GetRequiredService<IOptions<ExperienceOptions>>().Value, services.GetRequiredService<TimeProvider>(), http.RequestAborted);
        using (SymphainyPrincipal.Use(principal))
        {
            await connection.RunAsync(services, principal.Tenant, execution, session, from).ConfigureAwait(false);
        }
    }

    private sealed class Connection : IDisposable
    {
        private readonly WebSocket _socket;
        private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);
        private readonly ExperienceOptions _options;
        private readonly TimeProvider _time;
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly CancellationTokenSource _closed;
        private long _lastSent;

        public Connection(WebSocket socket, ExperienceOptions options, TimeProvider time, CancellationToken aborted)
        {
            _socket = socket;
            _options = options;
            _time = time;
            _closed = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        }

        public async Task RunAsync(IServiceProvider services, TenantId tenant, SagaId? execution, SessionId? session, long from)
        {
            var token = _closed.Token;
            var receiving = ReceiveUntilClosedAsync();
            var heartbeats = HeartbeatAsync(token);
            try
            {
                var refused = await RefusalAsync(services, tenant, execution, session, token).ConfigureAwait(false);
                if (refused is not null)
                {
                    await FailAsync(refused).ConfigureAwait(false);
                    return;
                }

                var sessions = session is { } wanted ? new SessionMembership(services.GetRequiredService<IWriteAheadLog>(), tenant, wanted) : null;
                var filter = new EventFilter(Saga: execution, Where: sessions is null ? null : sessions.MayBelong);
                var events = services.GetRequiredService<PostOffice>().SubscribeAsync(Subscriber, tenant, filter, from, token);
                await foreach (var executionEvent in events.ConfigureAwait(false))
                {
                    if (sessions is not null && !await sessions.BelongsAsync(executionEvent, token).ConfigureAwait(false))
                    {
                        continue;
                    }

                    await SendAsync(new EventMessage(ExecutionEventBody.From(executionEvent)), token).ConfigureAwait(false);
                    Volatile.Write(ref _lastSent, executionEvent.Position);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // the client went away or closed: nothing to tell it
            }
            catch (WebSocketException)
            {
                // the connection broke mid-send: the client resumes with from = last position + 1
            }
            catch (SymphainyException error)
            {
                await FailAsync(error).ConfigureAwait(false);
            }
            finally
            {
                if (_socket.State == WebSocketState.CloseSent)
                {
                    // The error and the close went out: wait (a little) for the client's close, so they are not cut off by a reset.
                    await receiving.WaitAsync(CloseGrace, _time, CancellationToken.None).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
                }

                await _closed.CancelAsync().ConfigureAwait(false);
                await heartbeats.ConfigureAwait(false);
                await receiving.ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            _closed.Dispose();
            _send.Dispose();
        }

        /// <summary>The error for a subscription to something the tenant has not: another tenant's execution or session.</summary>
        private static async Task<SymphainyException?> RefusalAsync(IServiceProvider services, TenantId tenant, SagaId? execution, SessionId? session, CancellationToken cancellationToken)
        {
            if (execution is { } saga && await services.GetRequiredService<ISagaEngine>().GetAsync(tenant, saga, cancellationToken).ConfigureAwait(false) is null)
            {
                return new SymphainyException(SmartCityErrorCodes.Forbidden, $"Execution {saga} is not one of your tenant's.");
            }

            if (session is { } id && await services.GetRequiredService<ISessionRegistry>().GetAsync(tenant, id, cancellationToken).ConfigureAwait(false) is null)
            {
                return new SymphainyException(SmartCityErrorCodes.Forbidden, $"Session {id} is not one of your tenant's.");
            }

            return null;
        }

        private async Task FailAsync(SymphainyException error)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
                await SendAsync(new ErrorMessage(error.Code, error.Message), timeout.Token).ConfigureAwait(false);
                var status = error.Code == SmartCityErrorCodes.Forbidden.Code ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.InternalServerError;
                await _socket.CloseOutputAsync(status, error.Code, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // the client is gone already
            }
        }

        private async Task SendAsync<T>(T message, CancellationToken cancellationToken)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(message, Wire.Json);
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _send.Release();
            }
        }

        private async Task HeartbeatAsync(CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.HeartbeatSeconds), _time);
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    await SendAsync(new HeartbeatMessage(Volatile.Read(ref _lastSent)), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                await _closed.CancelAsync().ConfigureAwait(false);
            }
        }

        /// <summary>Reads (and ignores) what the client sends until it closes or the connection breaks; then the subscription ends.</summary>
        private async Task ReceiveUntilClosedAsync()
        {
            var buffer = new byte[1024];
            try
            {
                while (!_closed.IsCancellationRequested)
                {
                    var received = await _socket.ReceiveAsync(buffer, _closed.Token).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        if (_socket.State == WebSocketState.CloseReceived)
                        {
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                        }

                        break;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
            }

            await _closed.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Which sagas belong to a session. Every record of a saga names its session, so an unknown saga is classified by
    /// reading the record of its first event seen; the Post Office's filter drops sagas known to be another session's.
    /// </summary>
    private sealed class SessionMembership(IWriteAheadLog wal, TenantId tenant, SessionId session)
    {
        private readonly ConcurrentDictionary<SagaId, bool> _known = new();

        public bool MayBelong(ExecutionEvent executionEvent) => _known.GetValueOrDefault(executionEvent.Saga, true);

        public async ValueTask<bool> BelongsAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken)
        {
            if (_known.TryGetValue(executionEvent.Saga, out var belongs))
            {
                return belongs;
            }

            belongs = false;
            await foreach (var record in wal.ReadAsync(executionEvent.Position, cancellationToken).ConfigureAwait(false))
            {
                belongs = record.Tenant == tenant && record.Saga == executionEvent.Saga && record.Session == session;
                break;
            }

            _known[executionEvent.Saga] = belongs;
            return belongs;
        }
    }
}
