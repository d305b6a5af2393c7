namespace Symphainy.Wal;

/// <summary>
/// Which of the Runtime's built-in write-ahead logs is used (<c>Symphainy:Wal:Provider</c>). It selects among the
/// built-in logs only when no provider package chose an <see cref="IWriteAheadLog"/> (a provider package registers its
/// log with <see cref="Symphainy.Hosting.ServiceSlots.Choose"/>) and the host registered none of its own; otherwise it is ignored.
/// </summary>
public enum WalProvider
{
    /// <summary>The segmented file log in the data directory. The embedded default.</summary>
    File,

    /// <summary>In memory: lost when the process ends. For tests and throwaway hosts.</summary>
    InMemory,
}
