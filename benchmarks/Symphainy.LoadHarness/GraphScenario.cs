using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Symphainy.Projection;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.LoadHarness;

/// <summary>
/// The state graph at scale: a log of completed 3-step sagas (9 nodes and 8 edges each) projected into the SQLite
/// graph until it holds about <c>--nodes</c> nodes (default 1,000,000), then lineage queries ("what led to this
/// fact", 4 levels) against it. Baseline: the same projection and queries on the in-memory graph.
/// </summary>
internal sealed class GraphScenario : IScenario
{
    private const int NodesPerSaga = 9;

    public string Name => "graph";

    public string Description => "state graph: projector writes/s into SQLite and lineage latency at ~1M nodes, vs the in-memory graph";

    // Projection and lineage rows measure different things; their ratios to the in-memory graph are in the summary.
    public IReadOnlyList<Baseline> Baselines { get; } = [];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var sagas = Math.Max(1, options.Nodes / NodesPerSaga);
        var time = TimeProvider.System;
        var ids = new IdGenerator(time, new SeededRandomSource(1));
        var tenant = ids.Next<TenantId>();
        var wal = new InMemoryWriteAheadLog(time);
        var facts = new List<string>(sagas);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  writing a log of {sagas:N0} completed sagas ({sagas * 6:N0} records)..."));
        for (var i = 0; i < sagas; i++)
        {
            var (session, intent, saga) = (ids.Next<SessionId>(), ids.Next<IntentId>(), ids.Next<SagaId>());
            await AppendAsync(wal, tenant, new IntentReceivedPayload("bench.graph", "bench.graph", 1, Json(new { n = i })), session, saga, intent);
            await AppendAsync(wal, tenant, new SagaStartedPayload("bench.graph", 1), session, saga, intent);
            for (var step = 0; step < 3; step++)
            {
                await AppendAsync(wal, tenant, new StepCompletedPayload(step, $"step{step}", StepKind.Step, Json(new { value = i * 10 + step })), session, saga, intent);
            }

            await AppendAsync(wal, tenant, new SagaEndedPayload(SagaState.Completed, "bench.graph", 1, Json(new { total = i })), session, saga, intent);
            facts.Add($"{saga}/fact/2");
        }

        var rows = new List<ResultRow>();
        var directory = WorkDirectory.Fresh(options, "graph");
        using (var sqlite = new SqliteStateGraph(Path.Combine(directory, "graph.db")))
        {
            rows.Add(await ProjectAsync("projector-sqlite", wal, sqlite));
            rows.Add(await LineageAsync("lineage-sqlite", options, sqlite, tenant, facts));
        }

        WorkDirectory.Delete(directory);
        var memory = new InMemoryStateGraph();
        rows.Add(await ProjectAsync("projector-inmemory", wal, memory));
        rows.Add(await LineageAsync("lineage-inmemory", options, memory, tenant, facts));
        return rows;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var projected = rows.Single(r => r.Variant == "projector-sqlite");
        var lineage = rows.Single(r => r.Variant == "lineage-sqlite");
        var projectedMemory = rows.Single(r => r.Variant == "projector-inmemory");
        var lineageMemory = rows.Single(r => r.Variant == "lineage-inmemory");
        yield return string.Create(CultureInfo.InvariantCulture, $"sqlite graph: {projected.Operations * NodesPerSaga / 6:N0} nodes written by the projector at {projected.OpsPerSecond:N0} log records/s ({projected.OpsPerSecond * NodesPerSaga / 6:N0} nodes/s) = {projected.OpsPerSecond / projectedMemory.OpsPerSecond:F2}x the in-memory graph");
        yield return string.Create(CultureInfo.InvariantCulture, $"sqlite lineage (4 levels) at that size: p50 {lineage.P50Micros:F0} us, p99 {lineage.P99Micros:F0} us, {lineage.OpsPerSecond:N0} queries/s = {lineage.OpsPerSecond / lineageMemory.OpsPerSecond:F3}x the in-memory graph");
    }

    private static async Task<ResultRow> ProjectAsync(string variant, InMemoryWriteAheadLog wal, IStateGraph graph)
    {
        var projector = new StateGraphProjector(wal, graph, TimeProvider.System, NullLogger<StateGraphProjector>.Instance);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await projector.StartAsync(CancellationToken.None);
        await projector.WaitForPositionAsync(wal.NextPosition - 1);
        var elapsed = clock.Elapsed;
        await projector.StopAsync(CancellationToken.None);
        await projector.DisposeAsync();
        var records = wal.NextPosition - 1;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {variant}: {records:N0} records in {elapsed.TotalSeconds:F1} s"));
        return new ResultRow("graph", variant, 1, records, records / elapsed.TotalSeconds, 0, 0, 0, (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / records);
    }

    private static Task<ResultRow> LineageAsync(string variant, HarnessOptions options, IStateGraph graph, TenantId tenant, List<string> facts)
    {
        var random = new Random(2);
        return Measurement.RunAsync("graph", variant, 1, options.Warmup, options.Duration, async () =>
        {
            var lineage = await graph.GetLineageAsync(tenant, facts[random.Next(facts.Count)], 8);
            return lineage.Count == 4 ? 0L : throw new InvalidOperationException($"expected 4 ancestors, got {lineage.Count}");
        });
    }

    /// <summary>Appends a record as the Runtime writes it: the payload through the log's codec.</summary>
    private static ValueTask<long> AppendAsync(InMemoryWriteAheadLog wal, TenantId tenant, WalPayload payload, SessionId session, SagaId saga, IntentId intent) =>
        wal.AppendAsync(new WalEntry(payload.Kind, tenant, WalPayloadCodec.Encode(payload), session, saga, intent));

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);
}
