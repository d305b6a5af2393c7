using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json;
using Symphainy.Experience;
using Symphainy.SmartCity;

namespace Symphainy.Reliability.Tests.BadInput;

/// <summary>
/// The catalogue of error codes (every public <see cref="ErrorCode"/> of the packages, the ones docs/errors.md lists)
/// and the status docs/http-api.md gives each, to judge a problem answer by the documents rather than by the server's code.
/// </summary>
public static class Catalogue
{
    public static IReadOnlySet<string> Codes { get; } = new[] { typeof(ErrorCodes), typeof(SmartCityErrorCodes), typeof(ExperienceErrorCodes) }
        .Select(t => t.Assembly)
        .SelectMany(a => a.GetExportedTypes())
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Where(f => f.FieldType == typeof(ErrorCode))
        .Select(f => ((ErrorCode)f.GetValue(null)!).Code)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>The HTTP status docs/http-api.md ("Status by code") gives a code.</summary>
    public static int DocumentedStatus(string code) => code switch
    {
        "experience.payload_too_large" or "intake.payload_too_large" => 413,
        "intake.unknown_intent_type" => 404,
        _ when code.StartsWith("intake.", StringComparison.Ordinal) => 400,
        _ when code.EndsWith(".not_found", StringComparison.Ordinal) => 404,
        "session.ended" or "saga.already_ended" => 409,
        "security.unauthenticated" => 401,
        "security.forbidden" => 403,
        "traffic.rate_limited" => 429,
        "host.stopping" or "host.not_started" => 503,
        "experience.invalid_request" or "id.invalid" or "state.invalid_argument" or "events.invalid_position" => 400,
        _ => -1,
    };
}

/// <summary>A problem details answer as read off the wire, or why the answer was not one.</summary>
public sealed record Problem(int Status, string? Code, string? ContentType, string Body)
{
    public static async Task<Problem> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                code = document.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }
            catch (JsonException)
            {
            }
        }

        return new Problem((int)response.StatusCode, code, response.Content.Headers.ContentType?.MediaType, body);
    }

    /// <summary>Why this is not a 4xx problem with a catalogued code at its documented status (null when it is).</summary>
    public string? Defect(params string[] expectedCodes)
    {
        if (Status is < 400 or >= 500)
        {
            return $"status {Status}, not a 4xx: {Body}";
        }

        if (ContentType != "application/problem+json" || Code is null)
        {
            return $"status {Status} is not problem details with a code ({ContentType}): {Body}";
        }

        if (!Catalogue.Codes.Contains(Code))
        {
            return $"code {Code} is not in the catalogue";
        }

        if (Catalogue.DocumentedStatus(Code) is var documented && documented != Status)
        {
            return $"code {Code} came with status {Status}; docs/http-api.md gives {documented}";
        }

        if (expectedCodes.Length > 0 && !expectedCodes.Contains(Code))
        {
            return $"code {Code}, expected {string.Join(" or ", expectedCodes)}: {Body}";
        }

        return null;
    }
}

/// <summary>Bodies that are not what they claim.</summary>
public static class Bodies
{
    public static ByteArrayContent Json(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A body of unknown length (chunked), so the server cannot refuse it by its Content-Length.</summary>
    public static HttpContent Chunked(byte[] bytes)
    {
        var content = new StreamContent(new UnseekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
