using Microsoft.Extensions.Time.Testing;
using Symphainy.Conformance.State;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.State;

namespace Symphainy.PublicWorks.Sqlite.Tests;

/// <summary>The SQLite graph, on a real file, passes the same suite as the in-memory graph.</summary>
public sealed class SqliteStateGraphConformanceTests : StateGraphConformance, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-sqlite-");
    private readonly List<SqliteStateGraph> _graphs = [];

    protected override ValueTask<IStateGraph> CreateGraphAsync(FakeTimeProvider time)
    {
        var graph = new SqliteStateGraph(Path.Combine(_directory.FullName, $"graph-{_graphs.Count}.db"));
        _graphs.Add(graph);
        return ValueTask.FromResult<IStateGraph>(graph);
    }

    public void Dispose()
    {
        _graphs.ForEach(g => g.Dispose());
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Delete(recursive: true);
    }
}
