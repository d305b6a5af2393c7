using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Polly.Timeout;

namespace Symphainy.Experience.Client;

/// <summary>
/// The client of the Symphainy HTTP and WebSocket API (docs/http-api.md). Register it with
/// <see cref="Microsoft.Extensions.DependencyInjection.SymphainyClientServiceCollectionExtensions.AddSymphainyClient"/> (retries and timeouts
/// included) or construct it over an <see cref="HttpClient"/> of your own. Safe to use from several threads.
/// </summary>
public sealed partial class SymphainyClient
{
    internal const string IdempotencyKeyHeader = "Idempotency-Key";
    internal const string ApiKeyHeader = "X-Api-Key";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient http;
    private readonly SymphainyClientOptions options;
    private readonly TimeProvider time;
    private readonly Uri baseAddress;

    /// <summary>Creates a client over <paramref name="httpClient"/> as it is: retries and timeouts are whatever its handlers do.</summary>
    /// <param name="httpClient">The HTTP client to send with.</param>
    /// <param name="options">Where the server is and how to authenticate. <see cref="SymphainyClientOptions.BaseAddress"/> wins over the client's.</param>
    /// <param name="timeProvider">The clock for watch timeouts and backoff; the system's when null.</param>
    public SymphainyClient(HttpClient httpClient, SymphainyClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        http = httpClient;
        this.options = options;
        time = timeProvider ?? TimeProvider.System;
        var address = options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new InvalidOperationException("SymphainyClientOptions.BaseAddress is required (the server's address).");
        baseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
    }

    /// <summary>Submits an intent: the platform records it and starts its execution (<c>POST /v1/intents</c>).</summary>
    /// <typeparam name="TPayload">The payload's type, serialized as JSON.</typeparam>
    /// <param name="type">The intent type (a capability's name).</param>
    /// <param name="payload">The payload.</param>
    /// <param name="session">The session it belongs to, if any.</param>
    /// <param name="idempotencyKey">
    /// A key that makes resubmission safe: the server answers a repeat with the first acceptance (<see cref="Acceptance.Duplicate"/>).
    /// Only keyed submissions are retried after a transient failure.
    /// </param>
    /// <param name="version">The capability version wanted; the current one when null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The acceptance: the intent's and the execution's ids.</returns>
    /// <exception cref="SymphainyClientException">The server refused the intent or could not be reached.</exception>
    public Task<Acceptance> SubmitAsync<TPayload>(
        string type,
        TPayload payload,
        string? session = null,
        string? idempotencyKey = null,
        int? version = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        var request = Request(HttpMethod.Post, "v1/intents", new SubmitBody<TPayload>(type, payload, version, session));
        if (idempotencyKey is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }

        return SendAsync<Acceptance>(request, cancellationToken);
    }

    /// <summary>Reads an execution as recorded so far (<c>GET /v1/executions/{id}</c>).</summary>
    /// <param name="execution">The execution's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The execution.</returns>
    /// <exception cref="SymphainyClientException">Not found (<c>*.not_found</c>, also for another tenant's), or the server could not be reached.</exception>
    public Task<Execution> GetExecutionAsync(string execution, CancellationToken cancellationToken = default) =>
        SendAsync<Execution>(Request(HttpMethod.Get, $"v1/executions/{Segment(execution)}"), cancellationToken);

    /// <summary>Reads the events an execution recorded so far (<c>GET /v1/executions/{id}/events</c>).</summary>
    /// <param name="execution">The execution's id.</param>
    /// <param name="from">The first position wanted; from the start when null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The events in log order.</returns>
    public Task<IReadOnlyList<ExecutionEvent>> GetEventsAsync(string execution, long? from = null, CancellationToken cancellationToken = default)
    {
        var path = $"v1/executions/{Segment(execution)}/events" + (from is { } f ? $"?from={f}" : "");
        return SendAsync<IReadOnlyList<ExecutionEvent>>(Request(HttpMethod.Get, path), cancellationToken);
    }

    /// <summary>
    /// Reads the artifacts an execution's agents produced (<c>GET /v1/executions/{id}/artifacts</c>). The contract leaves
    /// their shape to the agent (result, claims, citations), so each comes as JSON.
    /// </summary>
    /// <param name="execution">The execution's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The artifacts in the order they were recorded.</returns>
    public Task<IReadOnlyList<JsonElement>> GetArtifactsAsync(string execution, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<JsonElement>>(Request(HttpMethod.Get, $"v1/executions/{Segment(execution)}/artifacts"), cancellationToken);

    /// <summary>Sends a signal to an execution that waits for it (<c>POST /v1/executions/{id}/signals/{name}</c>). Never retried: a repeat is a second signal.</summary>
    /// <typeparam name="TValue">The value's type, serialized as JSON.</typeparam>
    /// <param name="execution">The execution's id.</param>
    /// <param name="name">The signal's name.</param>
    /// <param name="value">The signal's value.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The log position the signal was recorded at.</returns>
    public async Task<long> SignalAsync<TValue>(string execution, string name, TValue value, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, $"v1/executions/{Segment(execution)}/signals/{Segment(name)}", value);
        return (await SendAsync<Recorded>(request, cancellationToken).ConfigureAwait(false)).Position;
    }

    /// <summary>Asks an execution to cancel (<c>POST /v1/executions/{id}/cancel</c>); it stops at its current wait or next step and compensates.</summary>
    /// <param name="execution">The execution's id.</param>
    /// <param name="reason">Why, recorded with the request.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The log position the request was recorded at.</returns>
    public async Task<long> CancelAsync(string execution, string reason, CancellationToken cancellationToken = default)
    {
        var request = Request(HttpMethod.Post, $"v1/executions/{Segment(execution)}/cancel", new CancelBody(reason));
        return (await SendAsync<Recorded>(request, cancellationToken).ConfigureAwait(false)).Position;
    }

    /// <summary>Creates a session (<c>POST /v1/sessions</c>).</summary>
    /// <param name="timeToLive">How long it lives; the server's default when null.</param>
    /// <param name="attributes">Attributes recorded with it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session.</returns>
    public Task<Session> CreateSessionAsync(
        TimeSpan? timeToLive = null,
        IReadOnlyDictionary<string, string>? attributes = null,
        CancellationToken cancellationToken = default)
    {
        var ttl = timeToLive is { } t ? (long?)Math.Ceiling(t.TotalSeconds) : null;
        return SendAsync<Session>(Request(HttpMethod.Post, "v1/sessions", new SessionBody(ttl, attributes)), cancellationToken);
    }

    /// <summary>Reads a session (<c>GET /v1/sessions/{id}</c>).</summary>
    /// <param name="session">The session's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session.</returns>
    public Task<Session> GetSessionAsync(string session, CancellationToken cancellationToken = default) =>
        SendAsync<Session>(Request(HttpMethod.Get, $"v1/sessions/{Segment(session)}"), cancellationToken);

    /// <summary>Ends a session (<c>DELETE /v1/sessions/{id}</c>): later intents in it are refused with <c>session.ended</c>.</summary>
    /// <param name="session">The session's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the session has ended.</returns>
    public async Task EndSessionAsync(string session, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(Request(HttpMethod.Delete, $"v1/sessions/{Segment(session)}"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the capabilities the platform offers (<c>GET /v1/capabilities</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The capabilities.</returns>
    public Task<IReadOnlyList<Capability>> ListCapabilitiesAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<Capability>>(Request(HttpMethod.Get, "v1/capabilities"), cancellationToken);

    /// <summary>
    /// Waits until an execution ends and returns it as it ended: reads it, and when it has not ended yet watches its
    /// events (from its first, so an end that happens in between is not missed) until an end event.
    /// </summary>
    /// <param name="execution">The execution's id.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The ended execution (completed, failed or cancelled).</returns>
    public async Task<Execution> WaitForEndAsync(string execution, CancellationToken cancellationToken = default)
    {
        var current = await GetExecutionAsync(execution, cancellationToken).ConfigureAwait(false);
        if (current.HasEnded)
        {
            return current;
        }

        await foreach (var e in WatchAsync(WatchScope.ForExecution(execution), from: 0, cancellationToken).ConfigureAwait(false))
        {
            if (e.IsEnd)
            {
                break;
            }
        }

        return await GetExecutionAsync(execution, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(baseAddress, path));
        Authenticate(request.Headers);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            // Serialized once, up front: a retried request sends the same bytes again.
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), SymphainyJson.Options));
            request.Content.Headers.ContentType = Json;
        }

        return request;
    }

    private void Authenticate(HttpRequestHeaders headers)
    {
        if (options.ApiKey is { } key)
        {
            headers.Add(ApiKeyHeader, key);
        }
        else if (options.BearerToken is { } token)
        {
            headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(SymphainyJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new SymphainyClientException(SymphainyClientErrors.UnexpectedResponse, $"The server answered {request.Method} {request.RequestUri?.AbsolutePath} with an empty body.", response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new SymphainyClientException(
                SymphainyClientErrors.UnexpectedResponse,
                $"The server's answer to {request.Method} {request.RequestUri?.AbsolutePath} is not the contract's JSON: {ex.Message}",
                response.StatusCode,
                innerException: ex);
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new SymphainyClientException(SymphainyClientErrors.Unavailable, $"The server could not be reached: {ex.Message}", retryable: true, innerException: ex);
            }
            catch (TimeoutRejectedException ex)
            {
                throw new SymphainyClientException(SymphainyClientErrors.Unavailable, $"The server did not answer in time: {ex.Message}", retryable: true, innerException: ex);
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SymphainyClientException(SymphainyClientErrors.Unavailable, "The server did not answer in time (HttpClient.Timeout).", retryable: true, innerException: ex);
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                throw await ProblemReader.ToExceptionAsync(response, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        return Uri.EscapeDataString(value);
    }

    private sealed record SubmitBody<TPayload>(string Type, TPayload Payload, int? Version, string? Session);

    private sealed record CancelBody(string Reason);

    private sealed record SessionBody(long? TtlSeconds, IReadOnlyDictionary<string, string>? Attributes);

    private sealed record Recorded(long Position);
}
