using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Symphainy.PublicWorks.Arango;

/// <summary>
/// A small typed client over ArangoDB's HTTP API: authentication (basic or a JWT bearer), per-request timeouts, retries
/// on 503 Service Unavailable, on write-write conflicts (409, errorNum 1200) and on failed connections, AQL cursors read
/// batch by batch (<c>POST /_api/cursor</c>, then <c>POST /_api/cursor/{id}</c> while <c>hasMore</c>), and streaming
/// transactions (<c>/_api/transaction/begin</c>, the <c>x-arango-trx-id</c> header, commit or abort). Every failure is an
/// <see cref="ArangoException"/> carrying the HTTP status and Arango's errorNum. Thread-safe.
/// </summary>
internal sealed class ArangoClient
{
    /// <summary>The header that binds a request to a streaming transaction.</summary>
    public const string TransactionHeader = "x-arango-trx-id";

    /// <summary>Arango's errorNum for a write-write conflict.</summary>
    public const int ConflictErrorNum = 1200;

    /// <summary>Arango's errorNum for "duplicate name" (a database or collection that exists already).</summary>
    public const int DuplicateNameErrorNum = 1207;

    /// <summary>Arango's errorNum for "database not found".</summary>
    public const int DatabaseNotFoundErrorNum = 1228;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null };

    private readonly HttpClient _http;
    private readonly ArangoOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _root;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>Creates the client.</summary>
    /// <param name="http">The HTTP client (from <c>IHttpClientFactory</c>); its timeout should be infinite, this client keeps its own.</param>
    /// <param name="options">The settings.</param>
    /// <param name="time">The clock of timeouts and retry delays.</param>
    public ArangoClient(HttpClient http, ArangoOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _options = options;
        _time = time;
        if (!Uri.TryCreate(options.Url.TrimEnd('/') + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
        {
            throw new SymphainyException(ErrorCodes.HostMisconfigured, $"'{options.Url}' is not an http:// or https:// address; set {ArangoOptions.SectionName}:Url to the ArangoDB endpoint, such as http://localhost:8529.");
        }

        _root = root;
        if (!string.IsNullOrEmpty(options.BearerToken))
        {
            _authorization = new AuthenticationHeaderValue("bearer", options.BearerToken);
        }
        else if (!string.IsNullOrEmpty(options.User))
        {
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}")));
        }
    }

    /// <summary>The database the graph lives in.</summary>
    public string Database => _options.Database;

    /// <summary>Documents per cursor batch and per import query.</summary>
    public int BatchSize => _options.BatchSize;

    /// <summary>
    /// Sends one request to <c>/_db/{database}/{path}</c> and returns the answer's JSON (an empty object for an empty
    /// body). Retries on 503, on errorNum 1200 and on failed connections when <paramref name="retry"/> is true.
    /// </summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="database">The database, or null for the graph's.</param>
    /// <param name="path">The path below the database, such as <c>_api/cursor</c>; values in it are escaped by the caller.</param>
    /// <param name="body">The JSON body, or null.</param>
    /// <param name="transaction">The streaming transaction the request belongs to, or null.</param>
    /// <param name="retry">Whether the request may be sent again (false inside a transaction and for a cursor's next batch).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<JsonElement> SendAsync(HttpMethod method, string? database, string path, object? body, string? transaction, bool retry, CancellationToken cancellationToken)
    {
        var uri = new Uri(_root, $"_db/{Uri.EscapeDataString(database ?? _options.Database)}/{path}");
        var payload = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        var where = $"{method} {uri.AbsolutePath}";
        for (var attempt = 0; ; attempt++)
        {
            var last = !retry || attempt >= _options.MaxRetries;
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            HttpStatusCode status;
            byte[] answer;
            try
            {
                using var request = new HttpRequestMessage(method, uri);
                request.Headers.Authorization = _authorization;
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (transaction is not null)
                {
                    request.Headers.TryAddWithoutValidation(TransactionHeader, transaction);
                }

                if (payload is not null)
                {
                    request.Content = new ByteArrayContent(payload);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
                status = response.StatusCode;
                answer = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ArangoException(ArangoErrorCodes.Timeout, $"ArangoDB did not answer {where} within {_options.RequestTimeout} ({ArangoOptions.SectionName}:RequestTimeout).", 0, 0, e);
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (last)
                {
                    throw new ArangoException(ArangoErrorCodes.Unavailable, $"ArangoDB at {_root} could not be reached for {where} ({e.Message}) after {attempt + 1} tries.", 0, 0, e);
                }

                await DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if ((int)status is >= 200 and < 300)
            {
                return Parse(answer, (int)status, where);
            }

            var (errorNum, message) = ReadError(answer);
            if (!last && (status == HttpStatusCode.ServiceUnavailable || errorNum == ConflictErrorNum))
            {
                await DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
                continue;
            }

            throw Failure((int)status, errorNum, message, where, attempt + 1);
        }
    }

    /// <summary>
    /// Runs an AQL query with bind variables and reads every batch of its cursor. The first request is retried when
    /// <paramref name="transaction"/> is null (every query of the graph is idempotent); a next batch never is.
    /// </summary>
    /// <param name="query">The AQL text: a constant of the caller; every value goes in <paramref name="bindVariables"/>.</param>
    /// <param name="bindVariables">The bind variables (<c>@name</c>, and <c>@@name</c> for collections).</param>
    /// <param name="transaction">The streaming transaction, or null.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <param name="warningsExpected">
    /// Whether the query may raise warnings that are not failures (a traversal warns, errorNum 1202, for each edge to a
    /// vertex that does not exist): it is then sent with <c>failOnWarning: false</c>, whatever the server's default.
    /// </param>
    /// <returns>Every result, in order.</returns>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string query, IReadOnlyDictionary<string, object?> bindVariables, string? transaction, CancellationToken cancellationToken, bool warningsExpected = false)
    {
        var body = new Dictionary<string, object?>
        {
            ["query"] = query,
            ["bindVars"] = bindVariables,
            ["batchSize"] = _options.BatchSize,
        };
        if (warningsExpected)
        {
            body["options"] = new Dictionary<string, object?> { ["failOnWarning"] = false };
        }
        var page = await SendAsync(HttpMethod.Post, null, "_api/cursor", body, transaction, retry: transaction is null, cancellationToken).ConfigureAwait(false);
        var results = new List<JsonElement>();
        string? cursor = null;
        try
        {
            while (true)
            {
                if (!page.TryGetProperty("result", out var batch) || batch.ValueKind != JsonValueKind.Array)
                {
                    throw new ArangoException(ArangoErrorCodes.BadResponse, "ArangoDB answered a cursor request without a result array.", 0, 0);
                }

                results.AddRange(batch.EnumerateArray());
                if (!page.TryGetProperty("hasMore", out var hasMore) || hasMore.ValueKind != JsonValueKind.True)
                {
                    cursor = null;
                    return results;
                }

                cursor = page.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                if (string.IsNullOrEmpty(cursor))
                {
                    throw new ArangoException(ArangoErrorCodes.BadResponse, "ArangoDB answered hasMore without a cursor id.", 0, 0);
                }

                page = await SendAsync(HttpMethod.Post, null, $"_api/cursor/{Uri.EscapeDataString(cursor)}", null, transaction, retry: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch when (cursor is not null)
        {
            // Frees the server's cursor at once instead of at its time to live.
            await QuietlyAsync(HttpMethod.Delete, $"_api/cursor/{Uri.EscapeDataString(cursor)}", transaction).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a streaming transaction writing <paramref name="writeCollections"/>, then commits
    /// it. On a conflict (errorNum 1200), 503 or a lost connection the transaction is aborted and the whole of it tried
    /// again, up to <see cref="ArangoOptions.MaxRetries"/> times: <paramref name="work"/> must be idempotent.
    /// </summary>
    /// <typeparam name="T">What the work returns.</typeparam>
    /// <param name="writeCollections">The collections written.</param>
    /// <param name="work">The requests, each sent with the transaction's id.</param>
    /// <param name="cancellationToken">Cancels the transaction (it is aborted).</param>
    public async Task<T> InTransactionAsync<T>(string[] writeCollections, Func<string, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var begin = new Dictionary<string, object?> { ["collections"] = new Dictionary<string, object?> { ["write"] = writeCollections } };
        for (var attempt = 0; ; attempt++)
        {
            var started = await SendAsync(HttpMethod.Post, null, "_api/transaction/begin", begin, null, retry: true, cancellationToken).ConfigureAwait(false);
            var id = started.TryGetProperty("result", out var result) && result.TryGetProperty("id", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new ArangoException(ArangoErrorCodes.BadResponse, "ArangoDB began a transaction without answering its id.", 0, 0);
            try
            {
                var outcome = await work(id, cancellationToken).ConfigureAwait(false);
                await SendAsync(HttpMethod.Put, null, $"_api/transaction/{Uri.EscapeDataString(id)}", null, null, retry: false, cancellationToken).ConfigureAwait(false);
                return outcome;
            }
            catch (ArangoException e) when (e.IsRetryable && e.Error != ArangoErrorCodes.Timeout && attempt < _options.MaxRetries)
            {
                await QuietlyAsync(HttpMethod.Delete, $"_api/transaction/{Uri.EscapeDataString(id)}", null).ConfigureAwait(false);
                await DelayAsync(attempt, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await QuietlyAsync(HttpMethod.Delete, $"_api/transaction/{Uri.EscapeDataString(id)}", null).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Asks the server for its version (<c>GET /_api/version</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<string> GetVersionAsync(CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Get, null, "_api/version", null, null, retry: false, cancellationToken).ConfigureAwait(false);
        return answer.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String
            ? version.GetString()!
            : throw new ArangoException(ArangoErrorCodes.BadResponse, "ArangoDB answered GET /_api/version without a version.", 0, 0);
    }

    /// <summary>The exception for an error answer.</summary>
    internal static ArangoException Failure(int status, int errorNum, string message, string where, int tries)
    {
        var detail = $"ArangoDB answered {status} (errorNum {errorNum}: {message}) to {where}";
        var after = tries > 1 ? $" after {tries} tries" : "";
        return status switch
        {
            401 or 403 => new ArangoException(ArangoErrorCodes.Unauthorized, $"{detail}. Check {ArangoOptions.SectionName}:User and Password (or BearerToken) and the user's rights on the database.", status, errorNum),
            503 => new ArangoException(ArangoErrorCodes.Unavailable, $"{detail}{after}: the server is not available.", status, errorNum),
            _ when errorNum == ConflictErrorNum => new ArangoException(ArangoErrorCodes.Conflict, $"{detail}{after}: a write-write conflict with another writer.", status, errorNum),
            _ => new ArangoException(ArangoErrorCodes.RequestFailed, $"{detail}.", status, errorNum),
        };
    }

    private static JsonElement Parse(byte[] answer, int status, string where)
    {
        if (answer.Length == 0)
        {
            return JsonDocument.Parse("{}").RootElement.Clone();
        }

        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ArangoException(ArangoErrorCodes.BadResponse, $"ArangoDB answered {status} to {where} with a body that is not JSON.", status, 0, e);
        }
    }

    private static (int ErrorNum, string Message) ReadError(byte[] answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            var root = document.RootElement;
            var errorNum = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorNum", out var num) && num.TryGetInt32(out var n) ? n : 0;
            var message = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorMessage", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "no errorMessage";
            return (errorNum, message);
        }
        catch (JsonException)
        {
            return (0, answer.Length == 0 ? "empty body" : "a body that is not JSON");
        }
    }

    private Task DelayAsync(int attempt, CancellationToken cancellationToken)
    {
        var ticks = Math.Min(_options.RetryDelay.Ticks * (1L << Math.Min(attempt, 20)), MaxRetryDelay.Ticks);
        return Task.Delay(TimeSpan.FromTicks(ticks), _time, cancellationToken);
    }

    /// <summary>A clean-up request whose failure changes nothing (the server frees cursors and transactions by itself in time).</summary>
    private async Task QuietlyAsync(HttpMethod method, string path, string? transaction)
    {
        try
        {
            await SendAsync(method, null, path, null, transaction, retry: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ArangoException)
        {
            // The cursor or transaction expires on the server (its idle timeout).
        }
    }
}
