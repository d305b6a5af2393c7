namespace Symphainy.Wal;

/// <summary>Which write-ahead log the Runtime uses.</summary>
public enum WalProvider
{
    /// <summary>The segmented file log in the data directory. The embedded default.</summary>
    File,

    /// <summary>In memory: lost when the process ends. For tests and throwaway hosts.</summary>
    InMemory,
}
