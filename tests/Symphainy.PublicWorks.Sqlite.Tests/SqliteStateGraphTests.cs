using System.Text.Json;
using Microsoft.Data.Sqlite;
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
}
