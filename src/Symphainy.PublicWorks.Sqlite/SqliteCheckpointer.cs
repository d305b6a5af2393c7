using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Symphainy.PublicWorks.Sqlite;

/// <summary>
/// Copies the graph's SQLite write-ahead log into the database file on a connection of its own, on a thread-pool
/// thread, instead of in the commit of the write that filled it (SQLite's automatic checkpoint, which the graph's
/// connection turns off). A checkpoint writes every page a second time and waits for the disk (fsync); done in the
/// commit, that wait stopped the projector for as long as it lasted, about half of its writing time.
/// </summary>
/// <remarks>
/// A checkpoint starts once the writer has written about <see cref="BytesPerCheckpoint"/> since the last one was
/// asked for (SQLite's own default of 1,000 pages), never two at once. A background checkpoint cannot reset the log while the
/// writer keeps adding to it, so once the log holds <see cref="MaxLogPages"/> pages the writer resets it itself,
/// between two transactions (<see cref="ResetIfLong"/>). A failed checkpoint loses nothing: the pages stay in the log
/// and the next one copies them.
/// </remarks>
internal sealed class SqliteCheckpointer : IDisposable
{
    /// <summary>About what is written between two checkpoints: 1,000 pages of 4 KiB, SQLite's own default.</summary>
    public const long BytesPerCheckpoint = 1000 * 4096;

    /// <summary>The log size (in pages) at which the writer resets the log itself.</summary>
    public const int MaxLogPages = 16_000;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private int _running;
    private long _written;
    private int _logPages;
    private bool _disposed;

    /// <summary>Opens the checkpointer's own connection to the database (in WAL mode already).</summary>
    /// <param name="connectionString">The graph's connection string.</param>
    public SqliteCheckpointer(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();

        // A connection finds the log when it first reads the file; until then a checkpoint does nothing.
        using var read = new SqliteCommand("PRAGMA journal_mode", _connection);
        read.ExecuteScalar();
    }

    /// <summary>
    /// Counts what the writer wrote (SQLite keeps no count of the pages a connection appends to the log, so the
    /// writer estimates the bytes of its rows and index entries) and starts a checkpoint in the background once
    /// there is enough. Writer's thread only.
    /// </summary>
    /// <param name="bytes">About how many bytes the last transaction wrote.</param>
    public void Written(long bytes)
    {
        _written += bytes;
        if (_written >= BytesPerCheckpoint && Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            _written = 0;
            _ = CheckpointAsync();
        }
    }

    /// <summary>
    /// Resets the log from the writer's connection, between two of its transactions, when background checkpoints
    /// have let it grow to <see cref="MaxLogPages"/>: copies what is left and makes the next write start the log
    /// afresh (waiting, within the busy timeout, for a background checkpoint in progress). Writer's thread only.
    /// </summary>
    /// <param name="writer">The writer's connection.</param>
    public void ResetIfLong(sqlite3 writer)
    {
        if (Volatile.Read(ref _logPages) < MaxLogPages)
        {
            return;
        }

        var result = raw.sqlite3_wal_checkpoint_v2(writer, "main", raw.SQLITE_CHECKPOINT_RESTART, out var log, out _);
        if (result == raw.SQLITE_OK)
        {
            Volatile.Write(ref _logPages, log);
        }
    }

    /// <summary>Waits for the checkpoint in progress, if any, and closes the connection.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _connection.Dispose();
        }
    }

    private async Task CheckpointAsync()
    {
        // Off the writer's thread: the write that asked goes on while the pages are copied and synced.
        await Task.Yield();
        try
        {
            lock (_lock)
            {
                if (!_disposed && raw.sqlite3_wal_checkpoint_v2(_connection.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out var log, out _) == raw.SQLITE_OK)
                {
                    Volatile.Write(ref _logPages, log);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
