using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// On a log shared between hosts: takes a saga's lease before this host runs it, keeps renewing it while the saga
/// runs here, and gives it back when the saga ends or the host stops. Every record of the saga is fenced with the
/// lease, so whichever host loses it (paused, partitioned, or simply second) records nothing more.
/// </summary>
internal sealed partial class SagaOwnership : IAsyncDisposable
{
    private readonly IHotStateStore _leases;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<SagaRun, byte> _held = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task> _renewing;

    public SagaOwnership(ISharedWriteAheadLog log, IdGenerator ids, TimeProvider time, IOptions<SymphainyOptions> options, ILogger<SagaOwnership> logger)
    {
        _leases = log.Leases;
        Work = log.Work;
        _time = time;
        _duration = options.Value.Sagas.LeaseDuration;
        _logger = logger;
        Owner = $"{options.Value.InstanceName}-{ids.NextGuid():N}";
        _renewing = new Lazy<Task>(RenewAsync);
    }

    /// <summary>The queue that hands sagas to the hosts on the shared log.</summary>
    public ISagaWorkDistribution Work { get; }

    /// <summary>How long a lease lasts without renewal.</summary>
    public TimeSpan Duration => _duration;

    /// <summary>This host's name in leases: its instance name and a fresh id per process.</summary>
    public string Owner { get; }

    /// <summary>Takes the saga's lease for this host; false when another host holds it.</summary>
    public async Task<bool> TryTakeAsync(SagaRun run, CancellationToken cancellationToken)
    {
        var lease = await _leases.TryAcquireLeaseAsync(run.Tenant, Resource(run.Id), Owner, _duration, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            LogOwnedElsewhere(_logger, run.Id);
            return false;
        }

        run.Fence = lease;
        _held[run] = 0;
        _ = _renewing.Value;
        return true;
    }

    /// <summary>Stops renewing the saga's lease, which the log gave back with the saga's last record.</summary>
    public void Forget(SagaRun run)
    {
        _held.TryRemove(run, out _);
        run.Fence = null;
    }

    /// <summary>Gives the saga's lease back (best effort: an unreleased lease simply expires).</summary>
    public async Task ReleaseAsync(SagaRun run)
    {
        if (!_held.TryRemove(run, out _) || run.Fence is not { } lease)
        {
            return;
        }

        try
        {
            await _leases.ReleaseLeaseAsync(lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SymphainyException e)
        {
            LogReleaseFailed(_logger, e, run.Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var run in _held.Keys)
        {
            await ReleaseAsync(run).ConfigureAwait(false);
        }

        if (_renewing.IsValueCreated)
        {
            await _renewing.Value.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private static string Resource(SagaId saga) => $"saga/{saga}";

    // Renews every held lease three times per lease duration; a lease that cannot be renewed is left to expire and
    // the saga's next record is fenced off (its run then stops).
    private async Task RenewAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_duration / 3, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (var run in _held.Keys)
            {
                if (run.Fence is not { } lease)
                {
                    continue;
                }

                try
                {
                    if (await _leases.RenewLeaseAsync(lease, _duration, _stopping.Token).ConfigureAwait(false) is null)
                    {
                        _held.TryRemove(run, out _);
                        LogLeaseLost(_logger, run.Id);
                    }
                }
                catch (Exception e) when (e is SymphainyException or OperationCanceledException)
                {
                    LogRenewFailed(_logger, e, run.Id);
                }
            }
        }
    }

    [LoggerMessage(30, LogLevel.Information, "Saga {Saga} is run by another host (it holds the saga's lease); this host leaves it")]
    private static partial void LogOwnedElsewhere(ILogger logger, SagaId saga);

    [LoggerMessage(31, LogLevel.Warning, "Saga {Saga}: this host lost the saga's lease; its next record is refused and another host carries on")]
    private static partial void LogLeaseLost(ILogger logger, SagaId saga);

    [LoggerMessage(32, LogLevel.Warning, "Saga {Saga}: renewing the saga's lease failed; it is tried again")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, SagaId saga);

    [LoggerMessage(33, LogLevel.Debug, "Saga {Saga}: giving the saga's lease back failed; it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, SagaId saga);
}
