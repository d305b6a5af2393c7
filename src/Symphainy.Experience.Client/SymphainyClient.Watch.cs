using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Symphainy.Experience.Client;

public sealed partial class SymphainyClient
{
    private const string SubscriberTooSlow = "postoffice.subscriber_too_slow";

    /// <summary>
    /// Watches a stream of execution events over a WebSocket (<c>GET /v1/events</c>), in log order, each position once.
    /// When the connection drops, or stays silent (no event and no heartbeat) for
    /// <see cref="SymphainyClientOptions.WatchIdleTimeout"/>, it reconnects with <c>from</c> = the last position received
    /// plus one, after a bounded exponential backoff with jitter, so nothing is missed and nothing repeats. The stream has
    /// no end of its own: stop enumerating, or cancel.
    /// </summary>
    /// <param name="scope">Which events: <see cref="WatchScope.ForExecution"/>, <see cref="WatchScope.ForSession"/> or <see cref="WatchScope.Tenant"/>.</param>
    /// <param name="from">The first position wanted (resume after an event at <c>from - 1</c>); the server's default when null.</param>
    /// <param name="cancellationToken">Ends the watch: the enumeration throws <see cref="OperationCanceledException"/> and the socket is closed.</param>
    /// <returns>The events.</returns>
    /// <exception cref="SymphainyClientException">
    /// <see cref="SymphainyClientErrors.WatchReconnectExhausted"/> after <see cref="SymphainyClientOptions.WatchMaxReconnectAttempts"/>
    /// failed reconnects in a row; the server's code when it refuses the watch (<c>security.forbidden</c>, an HTTP 401/403/404 on the upgrade).
    /// </exception>
    public async IAsyncEnumerable<ExecutionEvent> WatchAsync(
        WatchScope scope,
        long? from = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var next = from;
        var failures = 0;
        Exception? lastFailure = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (failures > 0)
            {
                if (failures > options.WatchMaxReconnectAttempts)
                {
                    throw new SymphainyClientException(
                        SymphainyClientErrors.WatchReconnectExhausted,
                        $"The watch of the {scope} stream lost its connection and {options.WatchMaxReconnectAttempts} reconnects in a row failed; resume from position {next?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(start)"}.",
                        retryable: true,
                        innerException: lastFailure);
                }

                await Task.Delay(Backoff(failures), time, cancellationToken).ConfigureAwait(false);
            }

            using var socket = new ClientWebSocket();
            var connected = await ConnectAsync(socket, scope, next, cancellationToken).ConfigureAwait(false);
            if (connected.Failure is not null)
            {
                failures++;
                lastFailure = connected.Failure;
                continue;
            }

            try
            {
                while (true)
                {
                    var message = await ReceiveAsync(socket, cancellationToken).ConfigureAwait(false);
                    if (message.Failure is not null)
                    {
                        failures++;
                        lastFailure = message.Failure;
                        break;
                    }

                    // Any message proves the connection alive: the reconnect count starts again.
                    failures = 0;
                    if (message.Event is { } e && (next is null || e.Position >= next))
                    {
                        next = e.Position + 1;
                        yield return e;
                    }
                }
            }
            finally
            {
                await CloseQuietlyAsync(socket).ConfigureAwait(false);
            }
        }
    }

    private async Task<Received> ConnectAsync(ClientWebSocket socket, WatchScope stream, long? from, CancellationToken cancellationToken)
    {
        if (options.ApiKey is { } key)
        {
            socket.Options.SetRequestHeader(ApiKeyHeader, key);
        }
        else if (options.BearerToken is { } token)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            using var timeout = new CancellationTokenSource(options.WatchIdleTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            await socket.ConnectAsync(EventsUri(stream, from), linked.Token).ConfigureAwait(false);
            return default;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            if (socket.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
            {
                // Refused, not dropped: reconnecting would be refused again.
                throw new SymphainyClientException(
                    socket.HttpStatusCode switch
                    {
                        HttpStatusCode.Unauthorized => "security.unauthenticated",
                        HttpStatusCode.Forbidden => "security.forbidden",
                        _ => SymphainyClientErrors.UnexpectedResponse,
                    },
                    $"The server refused to watch the {stream} stream ({(int)socket.HttpStatusCode} {socket.HttpStatusCode}).",
                    socket.HttpStatusCode,
                    innerException: ex);
            }

            return new Received(null, ex);
        }
    }

    private async Task<Received> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        // A heartbeat comes every HeartbeatSeconds; silence longer than the idle timeout means a dead connection
        // that TCP may take minutes to notice.
        using var idle = new CancellationTokenSource(options.WatchIdleTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(4096);
                var result = await socket.ReceiveAsync(memory, linked.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return new Received(null, new WebSocketException(WebSocketError.ConnectionClosedPrematurely, $"The server closed the watch ({socket.CloseStatus} {socket.CloseStatusDescription})."));
                }

                buffer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            return new Received(null, new TimeoutException($"No event or heartbeat for {options.WatchIdleTimeout}: the connection is taken for dead.", ex));
        }
        catch (WebSocketException ex)
        {
            return new Received(null, ex);
        }

        return Parse(buffer.WrittenSpan);
    }

    private static Received Parse(ReadOnlySpan<byte> json)
    {
        WatchMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<WatchMessage>(json, SymphainyJson.Options);
        }
        catch (JsonException ex)
        {
            throw new SymphainyClientException(SymphainyClientErrors.UnexpectedResponse, $"The server sent a watch message that is not the contract's JSON: {ex.Message}", innerException: ex);
        }

        switch (message?.Type)
        {
            case "event" when message.Event is not null:
                return new Received(message.Event, null);
            case "heartbeat":
                return default;
            case "error" when message.Code == SubscriberTooSlow:
                // The server dropped a subscriber that fell behind: nothing is lost, resuming catches up from the log.
                return new Received(null, new SymphainyClientException(message.Code, message.Detail ?? message.Code, retryable: true));
            case "error":
                throw new SymphainyClientException(message.Code ?? SymphainyClientErrors.UnexpectedResponse, message.Detail ?? "The server ended the watch.");
            default:
                throw new SymphainyClientException(SymphainyClientErrors.UnexpectedResponse, $"The server sent a watch message of unknown type '{message?.Type}'.");
        }
    }

    private Uri EventsUri(WatchScope stream, long? from)
    {
        var builder = new UriBuilder(new Uri(baseAddress, "v1/events"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        var query = new StringBuilder();
        if (stream.Execution is { } execution)
        {
            query.Append("execution=").Append(Uri.EscapeDataString(execution));
        }
        else if (stream.Session is { } session)
        {
            query.Append("session=").Append(Uri.EscapeDataString(session));
        }

        if (from is { } f)
        {
            query.Append(query.Length > 0 ? "&" : "").Append("from=").Append(f.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        builder.Query = query.ToString();
        return builder.Uri;
    }

    /// <summary>The delay before the <paramref name="attempt"/>th reconnect in a row: doubling from the first, capped, with up to half of it taken off at random so many clients dropped at once do not return at once.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var exponential = options.WatchReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, options.WatchReconnectMaxDelay.TotalMilliseconds);
        var jitter = RandomNumberGenerator.GetInt32(0, 1001) / 1000.0;
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * jitter)));
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            socket.Abort();
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "watch ended", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            socket.Abort();
        }
    }

    private readonly record struct Received(ExecutionEvent? Event, Exception? Failure);

    private sealed record WatchMessage(string Type, ExecutionEvent? Event, long? Position, string? Code, string? Detail);
}
