using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Projection;

/// <summary>
/// Feeds the durable state graph from the write-ahead log: sessions, intents, sagas, steps, facts and agent
/// outputs with their lineage edges (<see cref="WalGraphMapping"/>). It writes in batches and remembers the last
/// projected position in the graph when the graph supports it (<see cref="IProjectionCheckpoints"/>), so it
/// resumes after a restart; when the graph is lost, it rebuilds it from the log.
/// </summary>
public sealed partial class StateGraphProjector : IHostedService, IWalRetentionHold, IAsyncDisposable
{
    /// <summary>The checkpoint name of this projection.</summary>
    public const string Name = "wal-to-graph";

    private const int BatchSize = 1000;
    private readonly IWriteAheadLog _wal;
    private readonly IStateGraph _graph;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<(long Position, TaskCompletionSource Reached)> _waiters = [];
    private Task _loop = Task.CompletedTask;
    private long _projected;

    /// <summary>Creates the projector.</summary>
    /// <param name="wal">The log to read.</param>
    /// <param name="graph">The graph to write.</param>
    /// <param name="logger">Receives progress and failures.</param>
    public StateGraphProjector(IWriteAheadLog wal, IStateGraph graph, ILogger<StateGraphProjector> logger)
    {
        _wal = wal;
        _graph = graph;
        _logger = logger;
    }

    /// <summary>The last log position written to the graph.</summary>
    public long ProjectedPosition => Interlocked.Read(ref _projected);

    /// <summary>Retention keeps every record the projector has not written to the graph yet.</summary>
    public long RetainFrom => ProjectedPosition + 1;

    /// <summary>Completes once everything up to <paramref name="position"/> is in the graph.</summary>
    /// <param name="position">A log position.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForPositionAsync(long position, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (ProjectedPosition >= position)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((position, reached));
            return reached.Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var checkpoint = _graph is IProjectionCheckpoints checkpoints ? await checkpoints.GetCheckpointAsync(Name, cancellationToken).ConfigureAwait(false) : 0;
        var from = Math.Max(checkpoint + 1, _wal.FirstPosition);
        Interlocked.Exchange(ref _projected, from - 1);
        LogStarting(_logger, from, checkpoint == 0 ? "from the start of the log" : "from its checkpoint");
        _loop = ProjectAsync(from, _stopping.Token);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task ProjectAsync(long from, CancellationToken stopping)
    {
        await Task.Yield();
        var nodes = new Dictionary<(TenantId, string), GraphNode>();
        var edges = new List<GraphEdge>();
        var pending = 0;
        long last = from - 1;
        try
        {
            await foreach (var record in _wal.SubscribeAsync(from, stopping).ConfigureAwait(false))
            {
                WalGraphMapping.Map(record, nodes, edges);
                last = record.Position;
                if (++pending >= BatchSize || last >= _wal.NextPosition - 1)
                {
                    await FlushAsync(nodes, edges, last, stopping).ConfigureAwait(false);
                    pending = 0;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogFailed(_logger, e, last);
            throw;
        }

        if (pending > 0)
        {
            await FlushAsync(nodes, edges, last, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task FlushAsync(Dictionary<(TenantId, string), GraphNode> nodes, List<GraphEdge> edges, long position, CancellationToken cancellationToken)
    {
        if (nodes.Count > 0 || edges.Count > 0)
        {
            await _graph.UpsertAsync(new GraphBatch(nodes.Values.ToArray(), edges.ToArray()), cancellationToken).ConfigureAwait(false);
        }

        // After the batch: a crash in between re-projects it, which upserts the same nodes and edges again.
        if (_graph is IProjectionCheckpoints checkpoints)
        {
            await checkpoints.SetCheckpointAsync(Name, position, cancellationToken).ConfigureAwait(false);
        }

        nodes.Clear();
        edges.Clear();
        Interlocked.Exchange(ref _projected, position);
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Position <= position)
                {
                    _waiters[i].Reached.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "State graph projection starts at log position {Position} ({Why})")]
    private static partial void LogStarting(ILogger logger, long position, string why);

    [LoggerMessage(2, LogLevel.Error, "State graph projection stopped after log position {Position}")]
    private static partial void LogFailed(ILogger logger, Exception exception, long position);
}
