using System.Text.Json;
using Microsoft.Data.Sqlite;
using Symphainy.Projection;
using Symphainy.State;

namespace Symphainy.PublicWorks.Sqlite;

/// <summary>
/// The embedded durable <see cref="IStateGraph"/>: one SQLite file in WAL journal mode with a nodes table and an
/// edges table, the tenant first in every key and index, lineage by a recursive CTE, batched writes in one
/// transaction, and schema migrations recorded in a version table. Also keeps the projector's checkpoint
/// (<see cref="IProjectionCheckpoints"/>) in the same file, so graph and checkpoint are lost or kept together.
/// One operation runs on the connection at a time. Disposing waits for the operation in progress, then closes the
/// file; any call after that fails with <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class SqliteStateGraph : IStateGraph, IProjectionCheckpoints, IDisposable, IAsyncDisposable
{
    /// <summary>How long disposing waits for the operation in progress before interrupting its statement.</summary>
    private static readonly TimeSpan InterruptAfter = TimeSpan.FromSeconds(10);

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE nodes (
            tenant BLOB NOT NULL,
            id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            properties TEXT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant, id)
        ) WITHOUT ROWID;
        CREATE INDEX nodes_by_kind ON nodes (tenant, kind, id);
        CREATE TABLE edges (
            tenant BLOB NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            relation TEXT NOT NULL,
            PRIMARY KEY (tenant, source, target, relation)
        ) WITHOUT ROWID;
        CREATE INDEX edges_by_target ON edges (tenant, target, source, relation);
        CREATE TABLE projection_checkpoints (name TEXT NOT NULL PRIMARY KEY, position INTEGER NOT NULL);
        """,
    ];

    /// <summary>The page cache of the graph's connection, in KiB.</summary>
    private const int CacheKibibytes = 16 * 1024;

    private readonly SqliteConnection _connection;
    private readonly SqliteCheckpointer _checkpointer;
    private readonly SqliteGraphWriter _writer;

    // Never disposed: a caller still waiting for it when the graph closes must get in, see the graph closed and
    // throw ObjectDisposedException, not hang on a disposed semaphore. It has no wait handle to release.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _disposed;

    /// <summary>Opens (or creates) the database and applies pending migrations.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long a write waits for another connection's lock.</param>
    public SqliteStateGraph(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)timeout.TotalSeconds,
        }.ToString();
        _connection = new SqliteConnection(connectionString);
        _connection.Open();

        // Checkpoints run on the checkpointer's connection, not in the commits of this one (SqliteCheckpointer). The
        // cache holds a projector's batch of new pages (SQLite's default of 2 MB spilled them mid-transaction).
        Execute($"PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{CacheKibibytes};");
        Migrate();
        _checkpointer = new SqliteCheckpointer(connectionString);
        _writer = new SqliteGraphWriter(_connection.Handle!, timeout, _checkpointer);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version of the file, after migration.</summary>
    public int SchemaVersion { get; private set; }

    /// <inheritdoc/>
    public async ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.Validate(batch);
        await RunAsync(() => Upsert(batch), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(id, "node id");
        return (await QueryAsync(
            "SELECT id, kind, properties, updated_at FROM nodes WHERE tenant = $tenant AND id = $id",
            c => c.Parameters.AddWithValue("$id", id),
            tenant,
            cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateLimit(limit);
        return await QueryAsync(
            "SELECT id, kind, properties, updated_at FROM nodes WHERE tenant = $tenant AND kind = $kind AND id > $after ORDER BY id LIMIT $limit",
            c =>
            {
                c.Parameters.AddWithValue("$kind", (int)kind);
                c.Parameters.AddWithValue("$after", afterId ?? "");
                c.Parameters.AddWithValue("$limit", limit);
            },
            tenant,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        var where = direction switch
        {
            EdgeDirection.Incoming => "target = $id",
            EdgeDirection.Outgoing => "source = $id",
            _ => "(source = $id OR target = $id)",
        };
        return await ReadEdgesAsync($"SELECT source, target, relation FROM edges WHERE tenant = $tenant AND {where}", tenant, c => c.Parameters.AddWithValue("$id", nodeId), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        StateGraphValidation.ValidateDepth(maxDepth);

        // The CTE finds every edge into a node within reach (each node at each depth once, so cycles end at
        // maxDepth); the walk below keeps each ancestor once, at its shortest depth, in a stable order.
        // CROSS JOIN keeps SQLite from scanning all edges and probing the walk: it must look edges up by target.
        var candidates = await ReadEdgesAsync(
            """
            WITH RECURSIVE walk(node, depth) AS (
                SELECT $id, 0
                UNION
                SELECT e.source, w.depth + 1 FROM walk w CROSS JOIN edges e ON e.tenant = $tenant AND e.target = w.node WHERE w.depth < $max - 1
            )
            SELECT DISTINCT e.source, e.target, e.relation FROM walk w CROSS JOIN edges e ON e.tenant = $tenant AND e.target = w.node
            """,
            tenant,
            c =>
            {
                c.Parameters.AddWithValue("$id", nodeId);
                c.Parameters.AddWithValue("$max", maxDepth);
            },
            cancellationToken).ConfigureAwait(false);
        var incoming = candidates.ToLookup(e => e.To, StringComparer.Ordinal);
        var steps = new List<(string Id, int Depth, GraphEdge Via)>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { nodeId };
        var frontier = new List<string> { nodeId };
        for (var depth = 1; depth <= maxDepth && frontier.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var id in frontier)
            {
                foreach (var edge in incoming[id].OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.Relation, StringComparer.Ordinal))
                {
                    if (seen.Add(edge.From))
                    {
                        steps.Add((edge.From, depth, edge));
                        next.Add(edge.From);
                    }
                }
            }

            frontier = next;
        }

        var nodes = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (var chunk in steps.Select(s => s.Id).Chunk(500))
        {
            var names = string.Join(", ", chunk.Select((_, i) => $"$n{i}"));
            foreach (var node in await QueryAsync(
                $"SELECT id, kind, properties, updated_at FROM nodes WHERE tenant = $tenant AND id IN ({names})",
                c =>
                {
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        c.Parameters.AddWithValue($"$n{i}", chunk[i]);
                    }
                },
                tenant,
                cancellationToken).ConfigureAwait(false))
            {
                nodes[node.Id] = node;
            }
        }

        return steps.Select(s => new LineageStep(nodes.GetValueOrDefault(s.Id), s.Id, s.Depth, s.Via)).ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodeIds);
        StateGraphValidation.ValidateDelete(tenant, nodeIds);

        var ids = nodeIds.Distinct(StringComparer.Ordinal).ToArray();
        return await RunAsync(
            () => InTransaction(transaction =>
            {
                var deleted = 0;
                foreach (var chunk in ids.Chunk(300))
                {
                    var names = string.Join(", ", chunk.Select((_, i) => $"$n{i}"));
                    deleted += Delete($"DELETE FROM nodes WHERE tenant = $tenant AND id IN ({names})", tenant, chunk, transaction);
                    Delete($"DELETE FROM edges WHERE tenant = $tenant AND source IN ({names})", tenant, chunk, transaction);
                    Delete($"DELETE FROM edges WHERE tenant = $tenant AND target IN ({names})", tenant, chunk, transaction);
                }

                return deleted;
            }),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateDelete(tenant, null);
        return await RunAsync(
            () => InTransaction(transaction =>
            {
                var deleted = Delete("DELETE FROM nodes WHERE tenant = $tenant", tenant, [], transaction);
                Delete("DELETE FROM edges WHERE tenant = $tenant", tenant, [], transaction);
                return deleted;
            }),
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default) =>
        RunAsync(
            () =>
            {
                using var command = Command("SELECT position FROM projection_checkpoints WHERE name = $name", null);
                command.Parameters.AddWithValue("$name", projection);
                return command.ExecuteScalar() is long position ? position : 0;
            },
            cancellationToken);

    /// <inheritdoc/>
    public async ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projection);
        await RunAsync(
            () =>
            {
                _writer.WriteCheckpoint(projection, position);
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the batch and the checkpoint in one transaction, so that after a crash the file holds both or neither.
    /// When <paramref name="graph"/> is another graph, writes the batch there, then the checkpoint here.
    /// </summary>
    /// <param name="graph">This graph.</param>
    /// <param name="batch">The nodes and edges.</param>
    /// <param name="projection">The projection's name.</param>
    /// <param name="position">The last log position the batch covers.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async ValueTask UpsertWithCheckpointAsync(IStateGraph graph, GraphBatch batch, string projection, long position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(projection);
        StateGraphValidation.Validate(batch);
        if (!ReferenceEquals(graph, this))
        {
            await graph.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
            await SetCheckpointAsync(projection, position, cancellationToken).ConfigureAwait(false);
            return;
        }

        await RunAsync(
            () =>
            {
                _writer.Write(batch, (projection, position));
                return true;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the database once the operation in progress has finished (its statement is interrupted if it runs
    /// for more than 10 seconds). Calls after this fail with <see cref="ObjectDisposedException"/>. Blocks the
    /// calling thread while it waits; prefer <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_gate.Wait(InterruptAfter))
        {
            Interrupt();
            _gate.Wait();
        }

        Close();
    }

    /// <summary>
    /// Closes the database once the operation in progress has finished (its statement is interrupted if it runs
    /// for more than 10 seconds). Calls after this fail with <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <returns>Completes when the database is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!await _gate.WaitAsync(InterruptAfter).ConfigureAwait(false))
        {
            Interrupt();
            await _gate.WaitAsync().ConfigureAwait(false);
        }

        Close();
    }

    /// <summary>Runs <paramref name="operation"/> alone on the connection, unless the graph is closed.</summary>
    private async ValueTask<T> RunAsync<T>(Func<T> operation, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            return operation();
        }
        catch (SqliteException e) when (Volatile.Read(ref _disposed) != 0)
        {
            // Interrupted because the graph is closing.
            throw new ObjectDisposedException($"The state graph {Path} was closed while this operation ran; it did not complete.", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(SqliteStateGraph), $"The state graph {Path} is closed.");
        }
    }

    /// <summary>Makes the statement running on the connection stop at its next step with SQLITE_INTERRUPT.</summary>
    private void Interrupt() => SQLitePCL.raw.sqlite3_interrupt(_connection.Handle);

    /// <summary>Closes the connection while holding the gate, then lets waiting callers in to find it closed.</summary>
    private void Close()
    {
        try
        {
            // The checkpointer first (it waits for its checkpoint in progress); the last connection to close
            // then copies what is left of the log into the file.
            _checkpointer.Dispose();
            _writer.Dispose();
            _connection.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Upsert(GraphBatch batch)
    {
        _writer.Write(batch, null);
        return true;
    }

    private ValueTask<IReadOnlyList<GraphNode>> QueryAsync(string sql, Action<SqliteCommand> parameters, TenantId tenant, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<GraphNode>>(
            () =>
            {
                using var command = Command(sql, null);
                command.Parameters.AddWithValue("$tenant", Key(tenant));
                parameters(command);
                using var reader = command.ExecuteReader();
                var nodes = new List<GraphNode>();
                while (reader.Read())
                {
                    JsonElement? properties = reader.IsDBNull(2) ? null : JsonDocument.Parse(reader.GetString(2)).RootElement.Clone();
                    nodes.Add(new GraphNode(tenant, reader.GetString(0), (GraphNodeKind)reader.GetInt32(1), properties, new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
                }

                return nodes;
            },
            cancellationToken);

    private ValueTask<IReadOnlyList<GraphEdge>> ReadEdgesAsync(string sql, TenantId tenant, Action<SqliteCommand> parameters, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<GraphEdge>>(
            () =>
            {
                using var command = Command(sql, null);
                command.Parameters.AddWithValue("$tenant", Key(tenant));
                parameters(command);
                using var reader = command.ExecuteReader();
                var edges = new List<GraphEdge>();
                while (reader.Read())
                {
                    edges.Add(new GraphEdge(tenant, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                }

                return edges;
            },
            cancellationToken);

    private void Migrate()
    {
        Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        using var read = Command("SELECT COALESCE(MAX(version), 0) FROM schema_version", null);
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException($"The state graph {Path} has schema version {current}; this build knows up to {Migrations.Length}. Upgrade Symphainy.PublicWorks.Sqlite.");
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            using var transaction = _connection.BeginTransaction();
            using (var migrate = Command(Migrations[version - 1], transaction))
            {
                migrate.ExecuteNonQuery();
            }

            using (var record = Command("INSERT INTO schema_version (version) VALUES ($version)", transaction))
            {
                record.Parameters.AddWithValue("$version", version);
                record.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        SchemaVersion = Migrations.Length;
    }

    private T InTransaction<T>(Func<SqliteTransaction, T> work)
    {
        using var transaction = _connection.BeginTransaction();
        var result = work(transaction);
        transaction.Commit();
        return result;
    }

    private int Delete(string sql, TenantId tenant, string[] ids, SqliteTransaction transaction)
    {
        using var command = Command(sql, transaction);
        command.Parameters.AddWithValue("$tenant", Key(tenant));
        for (var i = 0; i < ids.Length; i++)
        {
            command.Parameters.AddWithValue($"$n{i}", ids[i]);
        }

        return command.ExecuteNonQuery();
    }

    private void Execute(string sql)
    {
        using var command = Command(sql, null);
        command.ExecuteNonQuery();
    }

#pragma warning disable CA2100 // Every statement is a constant of this class; values are always parameters.
    private SqliteCommand Command(string sql, SqliteTransaction? transaction) => new(sql, _connection, transaction);
#pragma warning restore CA2100

    private static byte[] Key(TenantId tenant) => tenant.Value.ToByteArray(bigEndian: true);
}
