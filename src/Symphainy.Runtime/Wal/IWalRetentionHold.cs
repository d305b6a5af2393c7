namespace Symphainy.Wal;

/// <summary>
/// A reader of the write-ahead log that still needs records from some position on (the saga engine for unfinished
/// sagas, the graph projector for what it has not projected yet). Retention never removes a record at or above the
/// lowest <see cref="RetainFrom"/> of all registered holds. Register with
/// <c>services.AddSingleton&lt;IWalRetentionHold&gt;(...)</c>.
/// </summary>
public interface IWalRetentionHold
{
    /// <summary>The lowest log position this reader still needs.</summary>
    long RetainFrom { get; }
}
