using System.Threading.Channels;
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
/// <remarks>
/// A failed write to the graph (a full disk, a locked file) is logged and retried with a growing delay until it
/// succeeds; meanwhile the records stay in the log (<see cref="RetainFrom"/>). Stopping or disposing never fails
/// because of the graph: what could not be written is logged and projected on the next start, from the checkpoint.
/// </remarks>
public sealed partial class StateGraphProjector : IHostedService, IWalRetentionHold, IProjectionProgress, IAsyncDisposable
{
    /// <summary>The checkpoint name of this projection.</summary>
    public const string Name = "wal-to-graph";

    /// <summary>The most log records written to the graph in one batch (one transaction).</summary>
    private const int MaxBatchRecords = 4096;
    private readonly IWriteAheadLog _wal;
    private readonly IStateGraph _graph;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<(long Position, TaskCompletionSource Reached)> _waiters = [];
    private Task _loop = Task.CompletedTask;
    private long _projected;
    private int _disposed;

    /// <summary>Creates the projector.</summary>
    /// <param name="wal">The log to read.</param>
    /// <param name="graph">The graph to write.</param>
    /// <param name="time">The clock of the delays between attempts to write to the graph, and of the wait on dispose.</param>
    /// <param name="logger">Receives progress and failures.</param>
    public StateGraphProjector(IWriteAheadLog wal, IStateGraph graph, TimeProvider time, ILogger<StateGraphProjector> logger)
    {
        ArgumentNullException.ThrowIfNull(wal);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _wal = wal;
        _graph = graph;
        _time = time;
        _logger = logger;
    }

    /// <summary>The wait before the second attempt to write a batch the graph refused; it doubles after each failure, up to <see cref="MaxRetryDelay"/>.</summary>
    public static TimeSpan FirstRetryDelay { get; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts to write a batch the graph refused.</summary>
    public static TimeSpan MaxRetryDelay { get; } = TimeSpan.FromMinutes(1);

    /// <summary>How long <see cref="DisposeAsync"/> waits for the projection to write what it read and end.</summary>
    public static TimeSpan DisposeWait { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The last log position written to the graph.</summary>
    public long ProjectedPosition => Interlocked.Read(ref _projected);

    /// <inheritdoc/>
    string IProjectionProgress.ProjectionName => Name;

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

        // A saga resumed before this start may already wait for a position the checkpoint covers.
        ReleaseWaiters(from - 1);
        LogStarting(_logger, from, checkpoint == 0 ? "from the start of the log" : "from its checkpoint");
        _loop = ProjectAsync(from, _stopping.Token);
    }

    /// <summary>
    /// Ends the projection after one last attempt to write what it read. Never throws because of the graph: a
    /// failed last write is logged, and those records are projected on the next start.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the last write (the host's stop timeout).</param>
    /// <returns>Completes when the projection has ended, or when <paramref name="cancellationToken"/> is canceled.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopNotAwaited(_logger, ProjectedPosition);
        }
    }

    /// <summary>
    /// Ends the projection as <see cref="StopAsync"/> does and waits up to <see cref="DisposeWait"/> for it, so the
    /// graph is not written to once the container disposes it.
    /// </summary>
    /// <returns>Completes when the projection has ended, or after <see cref="DisposeWait"/>.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(DisposeWait, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The loop still holds the token: leave the token source to the garbage collector.
            LogDisposeNotAwaited(_logger, DisposeWait, ProjectedPosition);
            return;
        }

        _stopping.Dispose();
    }

    private async Task ProjectAsync(long from, CancellationToken stopping)
    {
        await Task.Yield();
        using var batch = new ProjectionBatch();
        long last = from - 1;

        // Batches are written by a loop of their own while the next one is read and mapped: one waiting, one being
        // written, in log order. The writing loop takes the next batch as soon as it has written one, without waiting
        // for this loop to be scheduled again.
        var batches = Channel.CreateBounded<(GraphBatch Batch, long Last)>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        var writing = WriteBatchesAsync(batches.Reader, stopping);
        try
        {
            await foreach (var record in _wal.SubscribeAsync(from, stopping).ConfigureAwait(false))
            {
                WalGraphMapping.Map(record, batch);
                batch.CountRecord();
                last = record.Position;

                // Handed over once caught up with the log, or once full: a batch holds what arrived while the previous
                // one was written, few records when the log is quiet (the graph trails it closely), more under load
                // (fewer, cheaper transactions per record), up to MaxBatchRecords.
                if (batch.Records >= MaxBatchRecords || last >= _wal.NextPosition - 1)
                {
                    await batches.Writer.WriteAsync((batch.Build(), last), stopping).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The loop runs unobserved until stop: every failure is logged here, none may escape.
        catch (Exception e)
        {
            LogFailed(_logger, e, last);
        }

        if (batch.Records > 0)
        {
            await batches.Writer.WriteAsync((batch.Build(), last), CancellationToken.None).ConfigureAwait(false);
        }

        batches.Writer.Complete();
        await writing.ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the batches in order, each retried until written; once the projection stops, what is left gets one
    /// last attempt each, in order, up to the first that fails (a later checkpoint must not pass unwritten records).
    /// </summary>
    private async Task WriteBatchesAsync(ChannelReader<(GraphBatch Batch, long Last)> batches, CancellationToken stopping)
    {
        await Task.Yield();
        var failed = false;
        await foreach (var (batch, last) in batches.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (!stopping.IsCancellationRequested)
            {
                try
                {
                    await FlushUntilWrittenAsync(batch, last, stopping).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                }
            }

            failed = failed || !await LastWriteAsync(batch, last).ConfigureAwait(false);
        }
    }

    /// <summary>One attempt, as the projection stops; a failure is logged and those records are projected on the next start.</summary>
    private async Task<bool> LastWriteAsync(GraphBatch batch, long position)
    {
        try
        {
            await FlushAsync(batch, position, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            LogLastWriteFailed(_logger, e, ProjectedPosition + 1, position);
            return false;
        }
    }

    /// <summary>Writes a batch, retrying with a growing delay until it is written or the projection stops.</summary>
    private async Task FlushUntilWrittenAsync(GraphBatch batch, long position, CancellationToken stopping)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await FlushAsync(batch, position, stopping).ConfigureAwait(false);
                if (attempt > 1)
                {
                    LogWriteRecovered(_logger, position, attempt);
                }

                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                LogWriteFailed(_logger, e, ProjectedPosition + 1, position, attempt, delay);
            }

            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }
#pragma warning restore CA1031

    private async Task FlushAsync(GraphBatch batch, long position, CancellationToken cancellationToken)
    {
        if (_graph is IProjectionCheckpoints checkpoints)
        {
            // Together, in one transaction where the graph can; otherwise the batch first: a crash in between
            // re-projects it, which upserts the same nodes and edges again.
            await checkpoints.UpsertWithCheckpointAsync(_graph, batch, Name, position, cancellationToken).ConfigureAwait(false);
        }
        else if (batch.Nodes.Count > 0 || batch.Edges.Count > 0)
        {
            await _graph.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _projected, position);
        ReleaseWaiters(position);
    }

    private void ReleaseWaiters(long position)
    {
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

    [LoggerMessage(2, LogLevel.Error, "State graph projection stopped after log position {Position}: reading the log failed. It resumes from its checkpoint on the next start")]
    private static partial void LogFailed(ILogger logger, Exception exception, long position);

    [LoggerMessage(3, LogLevel.Error, "State graph projection could not write log positions {From} to {To} to the graph (attempt {Attempt}); retrying in {Delay}. The records stay in the log until they are written")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, long from, long to, int attempt, TimeSpan delay);

    [LoggerMessage(4, LogLevel.Information, "State graph projection wrote log positions up to {Position} to the graph at attempt {Attempt}")]
    private static partial void LogWriteRecovered(ILogger logger, long position, int attempt);

    [LoggerMessage(5, LogLevel.Warning, "State graph projection could not write log positions {From} to {To} to the graph as it stopped. The records stay in the log and are projected on the next start, from the checkpoint")]
    private static partial void LogLastWriteFailed(ILogger logger, Exception exception, long from, long to);

    [LoggerMessage(6, LogLevel.Warning, "State graph projection was still writing when the stop timeout expired (projected up to log position {Position}); the rest is projected on the next start, from the checkpoint")]
    private static partial void LogStopNotAwaited(ILogger logger, long position);

    [LoggerMessage(7, LogLevel.Warning, "State graph projection did not end within {Wait} of being disposed (projected up to log position {Position}); the rest is projected on the next start, from the checkpoint")]
    private static partial void LogDisposeNotAwaited(ILogger logger, TimeSpan wait, long position);
}
