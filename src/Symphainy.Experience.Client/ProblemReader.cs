using System.Net;
using System.Text.Json;

namespace Symphainy.Experience.Client;

/// <summary>Turns an error answer into a <see cref="SymphainyClientException"/>: the problem details when there are some, a typed stand-in when not.</summary>
internal static class ProblemReader
{
    public static async Task<SymphainyClientException> ToExceptionAsync(HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var retryAfter = RetryAfter(response, time);
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            text = "";
        }

        var problem = Parse(text);
        if (problem?.Code is { Length: > 0 } code)
        {
            retryAfter ??= problem.RetryAfterSeconds is { } s and >= 0 ? TimeSpan.FromSeconds(s) : null;
            return new SymphainyClientException(code, problem.Detail ?? problem.Title ?? code, status, problem.Retryable, retryAfter, problem);
        }

        var transient = status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;
        return new SymphainyClientException(
            SymphainyClientErrors.UnexpectedResponse,
            $"The server answered {(int)status} {response.ReasonPhrase} without a problem details body.",
            status,
            transient,
            retryAfter,
            problem);
    }

    private static Problem? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Problem>(text, SymphainyJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
