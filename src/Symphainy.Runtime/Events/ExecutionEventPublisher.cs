using Microsoft.Extensions.Logging;
using Symphainy.Wal;

namespace Symphainy.Events;

/// <summary>
/// The outbox of execution events: follows the log's tail and publishes each durable record's event
/// (<see cref="ExecutionEventMapping"/>) on the <see cref="IExecutionEventBus"/>, in log order. Events are published
/// only once their records are durable, a slow subscriber slows this publisher and never a saga, and retention keeps
/// every record not yet published.
/// </summary>
internal sealed partial class ExecutionEventPublisher : IWalRetentionHold, IAsyncDisposable
{
    private readonly IWriteAheadLog _wal;
    private readonly IExecutionEventBus _bus;
    private readonly InProcessExecutionEventBus? _inProcess;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private long _published = long.MaxValue - 1;
    private long _next;
    private bool _quiet;

    /// <summary>The wait after a failed publish before the same event is published again; it doubles after each failure, up to <see cref="MaxRetryDelay"/>.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between two attempts to publish an event the bus (or the log's tail) failed.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    public ExecutionEventPublisher(IWriteAheadLog wal, IExecutionEventBus bus, TimeProvider time, ILogger<ExecutionEventPublisher> logger)
    {
        _wal = wal;
        _bus = bus;
        _time = time;
        _logger = logger;
        _inProcess = bus as InProcessExecutionEventBus;
        if (_inProcess is not null)
        {
            _inProcess.SubscriberAttached += OnSubscriberAttached;
        }
    }

    /// <summary>Raised (on the publisher's loop) when it caught up with the log.</summary>
    public event Action? Advanced;

    /// <summary>Whether every durable record's event was published (or there was nobody to publish it to).</summary>
    public bool CaughtUp
    {
        get
        {
            lock (_gate)
            {
                return _quiet || Interlocked.Read(ref _published) >= _wal.NextPosition - 1;
            }
        }
    }

    public long RetainFrom
    {
        get
        {
            lock (_gate)
            {
                return _quiet ? _wal.NextPosition : Interlocked.Read(ref _published) + 1;
            }
        }
    }

    /// <summary>Starts publishing from <paramref name="fromPosition"/>: events of records before it are not published live.</summary>
    public void Start(long fromPosition)
    {
        lock (_gate)
        {
            _next = fromPosition;
            Interlocked.Exchange(ref _published, fromPosition - 1);
        }

        _loop = PublishAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_inProcess is not null)
        {
            _inProcess.SubscriberAttached -= OnSubscriberAttached;
        }

        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A subscriber that never reads holds the loop; the process is going away regardless.
        }

        _stopping.Dispose();
    }

    // The in-process bus with nobody subscribed delivers nothing: the publisher then does not follow the log at all
    // (following it wakes a thread per append). A subscriber that attaches gets every record appended from then on.
    private void OnSubscriberAttached()
    {
        lock (_gate)
        {
            if (_quiet)
            {
                _quiet = false;
                _next = _wal.NextPosition;
                Interlocked.Exchange(ref _published, _next - 1);
                _attached.TrySetResult();
            }
        }
    }

    private bool GoQuietIfNobodyListens(long next)
    {
        lock (_gate)
        {
            // A bus the log feeds itself needs nothing from here; an in-process bus nobody listens to neither.
            if (!_bus.IsFedByLog && (_inProcess is null || _inProcess.HasSubscribers))
            {
                return false;
            }

            _quiet = true;
            _next = next;
            _attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return true;
        }
    }

    private async Task PublishAsync(CancellationToken stopping)
    {
        await Task.Yield();
        var delay = FirstRetryDelay;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await PublishUntilQuietAsync(stopping).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bus (or the log's tail) that failed once is not given up on: the same event is published again after
                // a growing delay, from the first record not yet published, so live subscribers miss nothing and the
                // host still comes to idle (and retention moves on) once the bus answers again.
                LogFailed(_logger, e, Interlocked.Read(ref _published), delay);
                lock (_gate)
                {
                    _next = Interlocked.Read(ref _published) + 1;
                }

                try
                {
                    await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task PublishUntilQuietAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            long next;
            lock (_gate)
            {
                next = _next;
            }

            if (GoQuietIfNobodyListens(next))
            {
                Advanced?.Invoke();
                Task attached;
                lock (_gate)
                {
                    attached = _attached.Task;
                }

                await attached.WaitAsync(stopping).ConfigureAwait(false);
                continue;
            }

            var quiet = false;
            await foreach (var record in _wal.SubscribeAsync(next, stopping).ConfigureAwait(false))
            {
                if (ExecutionEventMapping.FromRecord(record) is { } executionEvent)
                {
                    await _bus.PublishAsync(executionEvent, stopping).ConfigureAwait(false);
                }

                Interlocked.Exchange(ref _published, record.Position);
                if (record.Position >= _wal.NextPosition - 1)
                {
                    Advanced?.Invoke();
                }

                if (_inProcess is { HasSubscribers: false })
                {
                    lock (_gate)
                    {
                        _next = record.Position + 1;
                    }

                    quiet = true;
                    break;
                }
            }

            if (!quiet && !stopping.IsCancellationRequested)
            {
                // The log's tail ended under the publisher (the log closed after a storage failure): wait before following it again.
                throw new InvalidOperationException("The write-ahead log's tail ended while the host runs.");
            }
        }
    }

    [LoggerMessage(30, LogLevel.Error, "Execution event publishing failed after log position {Position}; it tries again in {Delay} from the next record (durable watches serve every event meanwhile)")]
    private static partial void LogFailed(ILogger logger, Exception exception, long position, TimeSpan delay);
}
