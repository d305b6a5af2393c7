using System.Text.Json;
using Microsoft.Data.Sqlite;
using Symphainy.Projection;
using Symphainy.State;

namespace Symphainy.PublicWorks.Sqlite.Tests;

public sealed class SqliteStateGraphTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-sqlite-");
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(1)).Next<TenantId>();

    private string File => Path.Combine(_directory.FullName, "graph.db");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task Nodes_edges_and_the_checkpoint_survive_reopening_the_file()
    {
        using (var graph = new SqliteStateGraph(File))
        {
            graph.SchemaVersion.Should().Be(1);
            await graph.UpsertAsync(new GraphBatch(
                [new GraphNode(_tenant, "a", GraphNodeKind.Fact, JsonSerializer.SerializeToElement(new { x = 1 }), DateTimeOffset.UnixEpoch)],
                [new GraphEdge(_tenant, "a", "b", "led_to")]));
            await graph.SetCheckpointAsync("wal-to-graph", 42);
        }

        using var reopened = new SqliteStateGraph(File);
        (await reopened.GetNodeAsync(_tenant, "a"))!.Properties!.Value.GetProperty("x").GetInt32().Should().Be(1);
        (await reopened.GetLineageAsync(_tenant, "b")).Single().NodeId.Should().Be("a");
        (await reopened.GetCheckpointAsync("wal-to-graph")).Should().Be(42);
        (await reopened.GetCheckpointAsync("other")).Should().Be(0);
    }

    [Fact]
    public async Task A_projected_batch_and_its_checkpoint_are_written_together()
    {
        using (var graph = new SqliteStateGraph(File))
        {
            IProjectionCheckpoints checkpoints = graph;
            await checkpoints.UpsertWithCheckpointAsync(
                graph,
                new GraphBatch([new GraphNode(_tenant, "a", GraphNodeKind.Fact, JsonSerializer.SerializeToElement(new { x = 1 }), DateTimeOffset.UnixEpoch)], [new GraphEdge(_tenant, "a", "b", "led_to")]),
                "wal-to-graph",
                7);
            await checkpoints.UpsertWithCheckpointAsync(graph, new GraphBatch([], []), "wal-to-graph", 9);

            var elsewhere = new InMemoryStateGraph();
            await checkpoints.UpsertWithCheckpointAsync(elsewhere, GraphBatch.Of(new GraphNode(_tenant, "c", GraphNodeKind.Fact, null, DateTimeOffset.UnixEpoch)), "other", 3);
            (await elsewhere.GetNodeAsync(_tenant, "c")).Should().NotBeNull("a batch for another graph goes there");
            (await graph.GetNodeAsync(_tenant, "c")).Should().BeNull();
        }

        using var reopened = new SqliteStateGraph(File);
        (await reopened.GetNodeAsync(_tenant, "a"))!.Properties!.Value.GetRawText().Should().Be("""{"x":1}""");
        (await reopened.GetEdgesAsync(_tenant, "a", EdgeDirection.Outgoing)).Should().ContainSingle();
        (await reopened.GetCheckpointAsync("wal-to-graph")).Should().Be(9, "an empty batch still moves the checkpoint");
        (await reopened.GetCheckpointAsync("other")).Should().Be(3);
    }

    [Fact]
    public async Task Written_pages_reach_the_database_file_while_the_graph_is_open()
    {
        using var graph = new SqliteStateGraph(File);
        var properties = JsonSerializer.SerializeToElement(new { text = new string('x', 500) });
        for (var batch = 0; batch < 20; batch++)
        {
            await graph.UpsertAsync(new GraphBatch(
                [.. Enumerable.Range(0, 1000).Select(i => new GraphNode(_tenant, $"node/{batch}/{i}", GraphNodeKind.Fact, properties, DateTimeOffset.UnixEpoch))],
                []));
        }

        // About 10 MB of nodes. Checkpoints run in the background, on their own connection: wait (boundedly) for
        // them to land; SQLite's automatic checkpoint is off, and the last one, on close, has not run.
        var file = new FileInfo(File);
        for (var i = 0; i < 400 && file.Length < 4_000_000; i++)
        {
            await Task.Delay(50);
            file.Refresh();
        }

        file.Length.Should().BeGreaterThan(4_000_000, "the log was copied into the file without waiting for the graph to close");
        (await graph.QueryNodesAsync(_tenant, GraphNodeKind.Fact, 10_000)).Should().HaveCount(10_000);
    }

    [Fact]
    public void The_file_uses_the_wal_journal_and_records_its_schema_version()
    {
        using (new SqliteStateGraph(File))
        {
        }

        using var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        connection.Open();
        using var journal = new SqliteCommand("PRAGMA journal_mode", connection);
        journal.ExecuteScalar().Should().Be("wal");
        using var version = new SqliteCommand("SELECT MAX(version) FROM schema_version", connection);
        version.ExecuteScalar().Should().Be(1L);
    }

    [Fact]
    public void A_file_from_a_newer_schema_is_refused_not_misread()
    {
        using (new SqliteStateGraph(File))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            connection.Open();
            using var newer = new SqliteCommand("INSERT INTO schema_version (version) VALUES (99)", connection);
            newer.ExecuteNonQuery();
        }

        var open = () => new SqliteStateGraph(File);
        open.Should().Throw<InvalidOperationException>().WithMessage("*schema version 99*");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Disposing_while_batches_are_written_waits_for_the_one_in_progress_and_later_calls_fail_as_disposed(bool asynchronously)
    {
        var bound = TimeSpan.FromSeconds(30);
        var graph = new SqliteStateGraph(File);
        var written = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var writing = new SemaphoreSlim(0);
        GraphBatch Batch(string name) => new(
            [.. Enumerable.Range(0, 500).Select(i => new GraphNode(_tenant, $"{name}/{i}", GraphNodeKind.Fact, null, DateTimeOffset.UnixEpoch))],
            []);

        // Writers that go on until the graph is closed: the only way they may end is ObjectDisposedException.
        async Task WriteUntilClosedAsync(int writer)
        {
            for (var n = 0; ; n++)
            {
                try
                {
                    await graph.UpsertAsync(Batch($"w{writer}b{n}"));
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                written.Add($"w{writer}b{n}");
                writing.Release();
            }
        }

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriteUntilClosedAsync(w))).ToArray();
        await writing.WaitAsync(bound);
        Func<Task> dispose = asynchronously ? async () => await graph.DisposeAsync() : () => { graph.Dispose(); return Task.CompletedTask; };
        await dispose.Should().NotThrowAsync();
        await Task.WhenAll(writers).WaitAsync(bound);

        var late = async () => await graph.GetNodeAsync(_tenant, "w0b0/0");
        (await late.Should().ThrowAsync<ObjectDisposedException>()).Which.Message.Should().Contain(File);
        var lateWrite = async () => await graph.SetCheckpointAsync("wal-to-graph", 1);
        await lateWrite.Should().ThrowAsync<ObjectDisposedException>();
        await dispose.Should().NotThrowAsync("disposing twice is harmless");

        // Every batch acknowledged before the close is in the file, whole; nothing else is.
        using var reopened = new SqliteStateGraph(File);
        var stored = 0;
        string? after = null;
        while (await reopened.QueryNodesAsync(_tenant, GraphNodeKind.Fact, 10_000, after) is { Count: > 0 } page)
        {
            stored += page.Count;
            after = page[^1].Id;
        }

        stored.Should().Be(written.Count * 500);
    }
}
