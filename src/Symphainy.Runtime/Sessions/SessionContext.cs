using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Symphainy.Logging;

namespace Symphainy.Sessions;

/// <summary>
/// The session the current asynchronous flow works for. It flows across awaits (it is an
/// <see cref="AsyncLocal{T}"/>), into every log line as a scope, and onto the current activity as tags.
/// </summary>
public static class SessionContext
{
    private static readonly AsyncLocal<Session?> s_current = new();

    /// <summary>The session of this flow, or null outside of one.</summary>
    public static Session? Current => s_current.Value;

    /// <summary>
    /// Makes <paramref name="session"/> current until the returned handle is disposed, which restores the previous one.
    /// With a <paramref name="logger"/>, log lines of every logger of its factory carry the tenant and session ids;
    /// <see cref="Activity.Current"/>, if any, gets the tags <c>symphainy.tenant_id</c> and <c>symphainy.session_id</c>.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="logger">A logger of the host's logger factory, for the logging scope.</param>
    /// <returns>A handle that restores the previous session when disposed.</returns>
    public static IDisposable Enter(Session session, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var previous = s_current.Value;
        s_current.Value = session;
        var scope = logger?.BeginExecutionScope(new ExecutionScope(session.Tenant, session: session.Id));
        Activity.Current?.SetTag("symphainy.tenant_id", session.Tenant.ToString()).SetTag("symphainy.session_id", session.Id.ToString());
        return new Restore(previous, scope);
    }

    private sealed class Restore(Session? previous, IDisposable? scope) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                scope?.Dispose();
                s_current.Value = previous;
            }
        }
    }
}
