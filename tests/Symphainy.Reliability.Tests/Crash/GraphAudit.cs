using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Symphainy.Projection;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.Wal;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>
/// Checks that the SQLite state graph agrees with the write-ahead log: the graph's projection checkpoint never passes
/// the log's end, and rebuilding the graph from the log up to that checkpoint, with the real projector into a fresh
/// SQLite file, gives exactly the same nodes (ids, kinds, properties, times) and edges.
/// </summary>
public static class GraphAudit
{
    /// <summary>Compares; returns the violations found (none when they agree) and the checkpoint.</summary>
    public static async Task<(List<string> Violations, long Checkpoint, int Nodes)> CompareAsync(IWriteAheadLog wal, string graphFile, string scratchDirectory)
    {
        var violations = new List<string>();
        long checkpoint;
        await using (var graph = new SqliteStateGraph(graphFile))
        {
            checkpoint = await graph.GetCheckpointAsync(StateGraphProjector.Name);
        }

        var end = wal.NextPosition - 1;
        if (checkpoint > end)
        {
            violations.Add($"the graph's checkpoint {checkpoint} is past the log's end {end}: the graph holds what the log does not");
            return (violations, checkpoint, 0);
        }

        var rebuilt = Path.Combine(scratchDirectory, $"rebuilt-{Guid.NewGuid():N}.db");
        await using (var fresh = new SqliteStateGraph(rebuilt))
        {
            var projector = new StateGraphProjector(new PrefixLog(wal, checkpoint), fresh, TimeProvider.System, NullLogger<StateGraphProjector>.Instance);
            await projector.StartAsync(CancellationToken.None);
            await projector.WaitForPositionAsync(checkpoint).WaitAsync(TimeSpan.FromMinutes(2));
            await projector.StopAsync(CancellationToken.None);
            await projector.DisposeAsync();
            (await fresh.GetCheckpointAsync(StateGraphProjector.Name)).Should().Be(checkpoint, "the rebuild projected up to the checkpoint");
        }

        var expected = Dump(rebuilt);
        var actual = Dump(graphFile);
        Compare("node", expected.Nodes, actual.Nodes, violations);
        Compare("edge", expected.Edges, actual.Edges, violations);
        foreach (var file in Directory.EnumerateFiles(scratchDirectory, Path.GetFileName(rebuilt) + "*"))
        {
            File.Delete(file);
        }

        return (violations, checkpoint, actual.Nodes.Count);
    }

    private static void Compare(string what, List<string> expected, List<string> actual, List<string> violations)
    {
        var missing = expected.Except(actual, StringComparer.Ordinal).ToList();
        var extra = actual.Except(expected, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            violations.Add($"{what}s differ from a rebuild from the log ({actual.Count} in the graph, {expected.Count} rebuilt): " +
                $"{missing.Count} missing, first: {missing.FirstOrDefault()}; {extra.Count} not in the rebuild, first: {extra.FirstOrDefault()}");
        }
    }

    /// <summary>Every node and edge of the file, one line each, sorted.</summary>
    private static (List<string> Nodes, List<string> Edges) Dump(string file)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        connection.Open();
        return (Lines(connection, "SELECT hex(tenant) || '|' || id || '|' || kind || '|' || COALESCE(properties, '') || '|' || updated_at FROM nodes ORDER BY tenant, id"),
            Lines(connection, "SELECT hex(tenant) || '|' || source || '|' || target || '|' || relation FROM edges ORDER BY tenant, source, target, relation"));
    }

    private static List<string> Lines(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    /// <summary>The log as it was up to a position: what the graph's checkpoint says it projected.</summary>
    private sealed class PrefixLog(IWriteAheadLog inner, long last) : IWriteAheadLog
    {
        public long NextPosition => last + 1;

        public long FirstPosition => inner.FirstPosition;

        public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default) => throw new NotSupportedException("read only");

        public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => throw new NotSupportedException("read only");

        public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (fromPosition > last)
            {
                yield break;
            }

            await foreach (var record in inner.ReadAsync(fromPosition, cancellationToken))
            {
                if (record.Position > last)
                {
                    yield break;
                }

                yield return record;
            }
        }

        public async IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var record in ReadAsync(fromPosition, cancellationToken))
            {
                yield return record;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }
}
