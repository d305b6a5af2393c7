using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.State;

namespace Symphainy.Benchmarks;

/// <summary>
/// The SQLite state graph (one file in a temp directory, WAL journal mode) vs the baseline
/// <see cref="InMemoryStateGraph"/>, in two categories with a baseline each:
/// <list type="bullet">
/// <item><c>Upsert</c>: one <see cref="IStateGraph.UpsertAsync"/> of 1,000 nodes and 1,000 edges. The invocations
/// cycle through <see cref="UpsertBatches"/> prepared batches, so after the first round the nodes exist (update path)
/// and the edges are ignored as duplicates; the graph stays bounded however many invocations run.</item>
/// <item><c>Lineage</c>: <see cref="IStateGraph.GetLineageAsync"/> of the end of a 6-level chain in a graph of
/// 100,000 nodes (25,000 intent, saga, step, artifact chains of 3 edges each, plus the chain).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SqliteGraphBenchmarks
{
    private const int BatchSize = 1_000;
    private const int UpsertBatches = 16;
    private const int GraphNodes = 100_000;
    private const int ChainLength = 6;
    private static readonly JsonElement Properties = JsonSerializer.SerializeToElement(new { state = "Completed", definition = "orders.place", version = 1 });
    private readonly InMemoryStateGraph _memory = new();
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private string _directory = "";
    private SqliteStateGraph? _sqlite;
    private GraphBatch[] _batches = [];
    private int _next;

    /// <summary>Prepares the batches and opens an empty SQLite graph.</summary>
    [GlobalSetup(Targets = [nameof(InMemoryUpsert), nameof(SqliteUpsert)])]
    public void SetupUpsert()
    {
        Open();
        _batches = Enumerable.Range(0, UpsertBatches).Select(b =>
        {
            var nodes = Enumerable.Range(0, BatchSize).Select(i => Node($"b{b:D2}/n{i:D4}", GraphNodeKind.Step)).ToArray();
            var edges = Enumerable.Range(0, BatchSize).Select(i => new GraphEdge(_tenant, $"b{b:D2}/n{(i + BatchSize - 1) % BatchSize:D4}", $"b{b:D2}/n{i:D4}", "produced")).ToArray();
            return new GraphBatch(nodes, edges);
        }).ToArray();
    }

    /// <summary>Writes the 100,000-node graph into both graphs.</summary>
    [GlobalSetup(Targets = [nameof(InMemoryLineage), nameof(SqliteLineage)])]
    public async Task SetupLineageAsync()
    {
        Open();
        var kinds = new[] { GraphNodeKind.Intent, GraphNodeKind.Saga, GraphNodeKind.Step, GraphNodeKind.Artifact };
        var relations = new[] { "started", "ran", "produced" };
        var background = GraphNodes - (ChainLength + 1);
        for (var start = 0; start < background; start += 10_000)
        {
            var nodes = new List<GraphNode>();
            var edges = new List<GraphEdge>();
            for (var i = start; i < Math.Min(start + 10_000, background); i++)
            {
                nodes.Add(Node($"g{i / 4:D6}/{i % 4}", kinds[i % 4]));
                if (i % 4 > 0)
                {
                    edges.Add(new GraphEdge(_tenant, $"g{i / 4:D6}/{(i % 4) - 1}", $"g{i / 4:D6}/{i % 4}", relations[(i % 4) - 1]));
                }
            }

            await UpsertBothAsync(new GraphBatch(nodes, edges));
        }

        var chain = Enumerable.Range(0, ChainLength + 1).Select(i => Node($"chain/{i}", GraphNodeKind.Artifact)).ToArray();
        var links = Enumerable.Range(0, ChainLength).Select(i => new GraphEdge(_tenant, $"chain/{i}", $"chain/{i + 1}", "derived")).ToArray();
        await UpsertBothAsync(new GraphBatch(chain, links));
        foreach (var graph in new IStateGraph[] { _memory, _sqlite! })
        {
            if ((await graph.GetLineageAsync(_tenant, Leaf)).Count != ChainLength)
            {
                throw new InvalidOperationException($"{graph.GetType().Name} did not return a lineage of {ChainLength}.");
            }
        }
    }

    /// <summary>Closes the SQLite graph and deletes its directory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string Leaf => $"chain/{ChainLength}";

    /// <summary>Baseline: upsert a batch into the in-memory graph.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Upsert")]
    public ValueTask InMemoryUpsert() => _memory.UpsertAsync(NextBatch());

    /// <summary>Upsert a batch into the SQLite graph (one transaction).</summary>
    [Benchmark]
    [BenchmarkCategory("Upsert")]
    public ValueTask SqliteUpsert() => _sqlite!.UpsertAsync(NextBatch());

    /// <summary>Baseline: lineage from the in-memory graph.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Lineage")]
    public async Task<int> InMemoryLineage() => (await _memory.GetLineageAsync(_tenant, Leaf)).Count;

    /// <summary>Lineage from the SQLite graph (recursive CTE, then the nodes).</summary>
    [Benchmark]
    [BenchmarkCategory("Lineage")]
    public async Task<int> SqliteLineage() => (await _sqlite!.GetLineageAsync(_tenant, Leaf)).Count;

    private void Open()
    {
        _directory = Directory.CreateTempSubdirectory("symphainy-bench-").FullName;
        _sqlite = new SqliteStateGraph(Path.Combine(_directory, "graph.db"));
    }

    private GraphNode Node(string id, GraphNodeKind kind) => new(_tenant, id, kind, Properties, DateTimeOffset.UnixEpoch);

    private GraphBatch NextBatch() => _batches[_next++ % _batches.Length];

    private async Task UpsertBothAsync(GraphBatch batch)
    {
        await _memory.UpsertAsync(batch);
        await _sqlite!.UpsertAsync(batch);
    }
}
