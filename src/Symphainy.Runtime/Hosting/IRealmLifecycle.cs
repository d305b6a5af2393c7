namespace Symphainy.Hosting;

/// <summary>
/// A realm's part in the host's lifecycle: what it needs started before it takes work (caches warmed, connections
/// opened, its own background work) and stopped after the host drained. The Realm plane's managers implement it; the
/// City Manager boots the registered realms in the order their <see cref="DependsOn"/> give (a realm after the realms it
/// depends on), reports the host ready once all are started, and stops them in the reverse order after draining.
/// Register one with <c>services.AddSingleton&lt;IRealmLifecycle, MyRealm&gt;()</c>.
/// </summary>
public interface IRealmLifecycle
{
    /// <summary>The realm's name (as its capabilities name it).</summary>
    string Realm { get; }

    /// <summary>The realms that must be started before this one (empty for none).</summary>
    IReadOnlyCollection<string> DependsOn { get; }

    /// <summary>Starts the realm; throwing stops the host from starting (the realms started before are stopped).</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start.</returns>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops the realm, after the host drained its running steps.</summary>
    /// <param name="cancellationToken">Cancels the stop (the host's shutdown timeout).</param>
    /// <returns>The stop.</returns>
    Task StopAsync(CancellationToken cancellationToken);
}
