using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Symphainy.State;

namespace Symphainy.PublicWorks.Sqlite;

/// <summary>
/// The write path of <see cref="SqliteStateGraph"/>: its statements prepared once for the life of the connection
/// and bound by index from spans (UTF-8 ids, the tenant's 16 bytes, a node's properties as the raw UTF-8 of its
/// JSON), a batch and optionally a checkpoint in one transaction. The projector writes thousands of rows a second
/// here; going through <see cref="SqliteCommand"/> costs more than SQLite itself does (a reader per statement,
/// every parameter looked up by name on every execution). Not thread-safe: the graph runs one operation at a time.
/// </summary>
internal sealed class SqliteGraphWriter : IDisposable
{
    private const string UpsertNode = """
        INSERT INTO nodes (tenant, id, kind, properties, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (tenant, id) DO UPDATE SET kind = excluded.kind, properties = excluded.properties, updated_at = excluded.updated_at
        """;

    private const string InsertEdge = "INSERT OR IGNORE INTO edges (tenant, source, target, relation) VALUES (?1, ?2, ?3, ?4)";

    private const string SetCheckpoint = "INSERT INTO projection_checkpoints (name, position) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET position = excluded.position";

    /// <summary>A row's and its index entry's bytes beyond their text: the tenant twice, numbers, cell headers.</summary>
    private const int RowOverhead = 64;

    private readonly sqlite3 _db;
    private readonly SqliteCheckpointer _checkpointer;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _node;
    private readonly sqlite3_stmt _edge;
    private readonly sqlite3_stmt _checkpoint;

    // Text is encoded here before binding (SQLite copies it): ids are at most StateKeys.MaxLength characters.
    private byte[] _text = new byte[4 * StateKeys.MaxLength];

    /// <summary>Prepares the statements on an open connection whose schema is migrated.</summary>
    /// <param name="db">The connection.</param>
    /// <param name="busyTimeout">How long a write waits for another connection's lock (SQLite's busy handler waits).</param>
    /// <param name="checkpointer">Told what each write wrote, so that it copies the log into the file in time.</param>
    public SqliteGraphWriter(sqlite3 db, TimeSpan busyTimeout, SqliteCheckpointer checkpointer)
    {
        _db = db;
        _checkpointer = checkpointer;
        Check(raw.sqlite3_busy_timeout(db, (int)Math.Min(int.MaxValue, busyTimeout.TotalMilliseconds)));
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _node = Prepare(UpsertNode);
        _edge = Prepare(InsertEdge);
        _checkpoint = Prepare(SetCheckpoint);
    }

    /// <summary>Writes a validated batch, and the checkpoint when <paramref name="checkpoint"/> names one, in one transaction.</summary>
    public void Write(GraphBatch batch, (string Name, long Position)? checkpoint)
    {
        _checkpointer.ResetIfLong(_db);
        Run(_begin);
        try
        {
            // What the rows and their index entries take, roughly: for the checkpointer's pacing only.
            long bytes = 0;
            Span<byte> tenant = stackalloc byte[16];
            foreach (var node in batch.Nodes)
            {
                Tenant(node.Tenant, tenant);
                Check(raw.sqlite3_bind_blob(_node, 1, tenant));
                BindText(_node, 2, node.Id);
                Check(raw.sqlite3_bind_int64(_node, 3, (long)node.Kind));
                Check(node.Properties is { } properties ? raw.sqlite3_bind_text(_node, 4, JsonMarshal.GetRawUtf8Value(properties)) : raw.sqlite3_bind_null(_node, 4));
                Check(raw.sqlite3_bind_int64(_node, 5, node.UpdatedAt.UtcTicks));
                Run(_node);
                bytes += RowOverhead + (2 * node.Id.Length) + (node.Properties is { } written ? JsonMarshal.GetRawUtf8Value(written).Length : 0);
            }

            foreach (var edge in batch.Edges)
            {
                Tenant(edge.Tenant, tenant);
                Check(raw.sqlite3_bind_blob(_edge, 1, tenant));
                BindText(_edge, 2, edge.From);
                BindText(_edge, 3, edge.To);
                BindText(_edge, 4, edge.Relation);
                Run(_edge);
                bytes += RowOverhead + (2 * (edge.From.Length + edge.To.Length + edge.Relation.Length));
            }

            if (checkpoint is var (name, position))
            {
                BindText(_checkpoint, 1, name);
                Check(raw.sqlite3_bind_int64(_checkpoint, 2, position));
                Run(_checkpoint);
            }

            Run(_commit);
            _checkpointer.Written(bytes);
        }
        catch
        {
            // After an error SQLite may already have rolled back (SQLITE_FULL, an interrupt): then this fails, harmlessly.
            raw.sqlite3_reset(_rollback);
            raw.sqlite3_step(_rollback);
            raw.sqlite3_reset(_rollback);
            throw;
        }
    }

    /// <summary>Records a checkpoint on its own.</summary>
    public void WriteCheckpoint(string name, long position)
    {
        BindText(_checkpoint, 1, name);
        Check(raw.sqlite3_bind_int64(_checkpoint, 2, position));
        Run(_checkpoint);
        _checkpointer.Written(RowOverhead);
    }

    /// <summary>Finalizes the statements; the connection can close afterwards.</summary>
    public void Dispose()
    {
        foreach (var statement in new[] { _begin, _commit, _rollback, _node, _edge, _checkpoint })
        {
            statement.Dispose();
        }
    }

    /// <summary>The key of a tenant, as <see cref="SqliteStateGraph"/> stores it: its id's 16 bytes, big-endian.</summary>
    public static void Tenant(TenantId tenant, Span<byte> destination) => tenant.Value.TryWriteBytes(destination, bigEndian: true, out _);

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement));
        return statement;
    }

    private void BindText(sqlite3_stmt statement, int index, string value)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (needed > _text.Length)
        {
            _text = new byte[needed];
        }

        var length = Encoding.UTF8.GetBytes(value, _text);
        Check(raw.sqlite3_bind_text(statement, index, _text.AsSpan(0, length)));
    }

    /// <summary>Steps a statement that returns no rows, then resets it (its bindings are replaced by the next use).</summary>
    private void Run(sqlite3_stmt statement)
    {
        var result = raw.sqlite3_step(statement);
        try
        {
            if (result != raw.SQLITE_DONE)
            {
                SqliteException.ThrowExceptionForRC(result, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, _db);
        }
    }
}
