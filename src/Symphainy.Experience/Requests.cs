using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Symphainy.SmartCity;

namespace Symphainy.Experience;

/// <summary>Reading what a caller sent: credentials, a size-limited JSON body, typed fields, ids and query values.</summary>
internal static class Requests
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const string SessionHeader = "X-Symphainy-Session";
    public const string SessionCookie = "symphainy-session";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>The principal of the request's credentials (bearer token or API key; with <paramref name="allowQueryToken"/>, <c>access_token</c>).</summary>
    public static SymphainyPrincipal Authenticate(HttpContext http, SecurityGuard guard, bool allowQueryToken)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            const string Bearer = "Bearer ";
            return authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase)
                ? guard.AuthenticateBearer(authorization[Bearer.Length..].Trim())
                : throw new SymphainyException(SmartCityErrorCodes.Unauthenticated, "The Authorization header must be 'Bearer <token>'; API keys go in the X-Api-Key header.");
        }

        var apiKey = http.Request.Headers[ApiKeyHeader].ToString();
        if (apiKey.Length > 0)
        {
            return guard.Authenticate(apiKey);
        }

        var token = allowQueryToken ? http.Request.Query["access_token"].ToString() : "";
        if (token.Length > 0)
        {
            // A JWT has three dot-separated parts; an API key is id.secret.
            return token.Count(c => c == '.') == 2 ? guard.AuthenticateBearer(token) : guard.Authenticate(token);
        }

        throw new SymphainyException(SmartCityErrorCodes.Unauthenticated,
            allowQueryToken
                ? "No credentials: send 'Authorization: Bearer <token>', 'X-Api-Key: <id>.<secret>', or access_token=<token or key> in the query."
                : "No credentials: send 'Authorization: Bearer <token>' or 'X-Api-Key: <id>.<secret>'.");
    }

    /// <summary>The request's JSON body, read to at most <paramref name="maxBytes"/>; null when it is empty.</summary>
    public static async Task<JsonElement?> ReadJsonAsync(HttpContext http, int maxBytes)
    {
        if (http.Request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>();
        var body = http.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(Math.Min(64 * 1024, maxBytes + 1 - buffer.WrittenCount));
            var read = await body.ReadAsync(memory, http.RequestAborted).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return null;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Invalid($"The body is not valid JSON: {e.Message}");
        }

        // The parser checks the JSON's structure but not the text inside its strings: a string with bytes that are not
        // UTF-8, or an escaped unpaired surrogate (\ud800), would throw only when read, as a server error.
        if (InvalidText(buffer.WrittenSpan) is { } problem)
        {
            throw Invalid($"The body is not valid JSON text: {problem}.");
        }

        return root;
    }

    /// <summary>What is wrong with the text of a (well-formed) JSON document's strings and names; null when nothing is.</summary>
    private static string? InvalidText(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return "it holds bytes that are not UTF-8";
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return $"a string at byte {reader.TokenStartIndex} escapes an unpaired surrogate, which is not text";
                }
            }
        }

        return null;
    }

    public static SymphainyException Invalid(string detail) => new(ExperienceErrorCodes.InvalidRequest, detail);

    private static SymphainyException TooLarge(int maxBytes) =>
        new(ExperienceErrorCodes.PayloadTooLarge, $"The request body is larger than {maxBytes} bytes (Symphainy:Experience:MaxRequestBytes).");

    /// <summary>The body as an object (an empty one when there is no body and <paramref name="optional"/>).</summary>
    public static JsonElement Object(JsonElement? body, bool optional)
    {
        if (body is null)
        {
            return optional ? EmptyObject : throw Invalid("The body is missing: this route takes a JSON object.");
        }

        return body.Value.ValueKind == JsonValueKind.Object ? body.Value : throw Invalid($"The body must be a JSON object, not {Describe(body.Value.ValueKind)}.");
    }

    public static string RequiredString(JsonElement body, string name) =>
        Field(body, name) is { } value
            ? value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : throw WrongType(name, "a non-empty string", value)
            : throw Invalid($"The field '{name}' is missing.");

    public static string? OptionalString(JsonElement body, string name) =>
        Field(body, name) is { } value
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(name, "a string", value)
            : null;

    public static JsonElement RequiredValue(JsonElement body, string name) =>
        Field(body, name) ?? throw Invalid($"The field '{name}' is missing.");

    public static int? OptionalInt(JsonElement body, string name) =>
        Field(body, name) is { } value
            ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw WrongType(name, "an integer", value)
            : null;

    public static double? OptionalNumber(JsonElement body, string name) =>
        Field(body, name) is { } value
            ? value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw WrongType(name, "a number", value)
            : null;

    public static IReadOnlyDictionary<string, string>? OptionalStringMap(JsonElement body, string name)
    {
        if (Field(body, name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw WrongType(name, "an object of strings", value);
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw WrongType($"{name}.{property.Name}", "a string", property.Value);
        }

        return map;
    }

    public static TId ParseId<TId>(string? text, string what)
        where TId : struct, ITypedId<TId> =>
        TId.TryParse(text, out var id) ? id : throw Invalid($"'{text}' is not a valid {what} id ({TId.Prefix}_ followed by 32 hex digits).");

    public static TId? OptionalId<TId>(string? text, string what)
        where TId : struct, ITypedId<TId> =>
        string.IsNullOrEmpty(text) ? null : ParseId<TId>(text, what);

    public static long? OptionalPosition(HttpContext http, string name = "from")
    {
        var text = http.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position) && position >= 1
            ? position
            : throw Invalid($"The query parameter '{name}' must be a log position (an integer of at least 1), not '{text}'.");
    }

    private static JsonElement? Field(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static SymphainyException WrongType(string name, string expected, JsonElement value) =>
        Invalid($"The field '{name}' must be {expected}, not {Describe(value.ValueKind)}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}
