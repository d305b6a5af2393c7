using Symphainy;
using Symphainy.Logging;

namespace Microsoft.Extensions.Logging;

/// <summary>Logging helpers that carry the execution's ids into every log line.</summary>
public static class LoggerExecutionScopeExtensions
{
    /// <summary>
    /// Begins a scope carrying tenant, session, saga and intent ids; every log line written inside it
    /// (on any logger) carries them too when scopes are on, as they are with <see cref="SymphainyLoggingBuilderExtensions.AddSymphainyJsonConsole"/>.
    /// </summary>
    /// <param name="logger">The logger.</param>
    /// <param name="scope">The ids.</param>
    /// <returns>A handle that ends the scope when disposed.</returns>
    public static IDisposable? BeginExecutionScope(this ILogger logger, ExecutionScope scope)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return logger.BeginScope(scope);
    }
}
