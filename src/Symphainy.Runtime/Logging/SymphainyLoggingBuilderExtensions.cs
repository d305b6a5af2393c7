using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Logging;

/// <summary>Turns on the platform's structured logging in one line.</summary>
public static class SymphainyLoggingBuilderExtensions
{
    /// <summary>
    /// Replaces the host's log providers with JSON console output: one JSON object per line, UTC ISO-8601
    /// timestamps, and scopes on, so tenant, session, saga and intent ids from
    /// <see cref="LoggerExecutionScopeExtensions.BeginExecutionScope"/> appear on every line.
    /// </summary>
    /// <param name="logging">The host's logging builder, e.g. <c>builder.Logging</c>.</param>
    /// <returns>The same builder, to keep configuring.</returns>
    public static ILoggingBuilder AddSymphainyJsonConsole(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddJsonConsole(options =>
        {
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            options.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
        return logging;
    }
}
