using Microsoft.Extensions.Logging;

namespace Symphainy.Runtime.Tests;

/// <summary>A logger provider that keeps each message with the scopes it was written in, as "message | scope scope".</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly List<string> _lines = [];
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToArray();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private void Write(string message)
    {
        var scopes = new List<string>();
        _scopes?.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
        lock (_lines)
        {
            _lines.Add(message + " | " + string.Join(" ", scopes));
        }
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Write(formatter(state, exception));
    }
}
