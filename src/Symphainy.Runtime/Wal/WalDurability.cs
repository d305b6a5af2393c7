namespace Symphainy.Wal;

/// <summary>When an append counts as done.</summary>
public enum WalDurability
{
    /// <summary>After the record's bytes are on stable storage (fsync). Survives power loss. The default.</summary>
    Fsync,

    /// <summary>
    /// After the record's bytes are handed to the operating system. Survives a process crash, not a power
    /// loss or kernel panic. Much faster; for hosts that accept losing the last moments on power loss.
    /// </summary>
    OsBuffered,
}
