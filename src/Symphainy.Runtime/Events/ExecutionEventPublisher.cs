using Microsoft.Extensions.Logging;
using Symphainy.Wal;

namespace Symphainy.Events;

/// <summary>
/// The outbox of execution events: follows the log's tail and publishes each durable record's event
/// (<see cref="ExecutionEventMapping"/>) on the <see cref="IExecutionEventBus"/>, in log order. Events are published
/// only once their records are durable, a slow subscriber slows this publisher and never a saga, and retention keeps
/// every record not yet published.
/// </summary>
internal sealed partial class ExecutionEventPublisher(IWriteAheadLog wal, IExecutionEventBus bus, ILogger<ExecutionEventPublisher> logger) : IWalRetentionHold, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private long _published = long.MaxValue - 1;

    /// <summary>Raised (on the publisher's loop) after each batch of records was published.</summary>
    public event Action? Advanced;

    /// <summary>The last log position whose event was published.</summary>
    public long PublishedPosition => Interlocked.Read(ref _published);

    public long RetainFrom => PublishedPosition + 1;

    /// <summary>Starts publishing from <paramref name="fromPosition"/>: events of records before it are not published live.</summary>
    public void Start(long fromPosition)
    {
        Interlocked.Exchange(ref _published, fromPosition - 1);
        _loop = PublishAsync(fromPosition, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
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

    private async Task PublishAsync(long from, CancellationToken stopping)
    {
        await Task.Yield();
        var quiet = bus as InProcessExecutionEventBus;
        try
        {
            await foreach (var record in wal.SubscribeAsync(from, stopping).ConfigureAwait(false))
            {
                // With nobody subscribed in process, the event would reach no one: skip mapping it. A subscriber that
                // attaches later sees only records appended after this one was read, as "live from now on" promises.
                if (quiet is not { HasSubscribers: false } && ExecutionEventMapping.FromRecord(record) is { } executionEvent)
                {
                    await bus.PublishAsync(executionEvent, stopping).ConfigureAwait(false);
                }

                Interlocked.Exchange(ref _published, record.Position);
                if (record.Position >= wal.NextPosition - 1)
                {
                    Advanced?.Invoke();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The durable watch still serves every event from the log; live delivery stops until restart.
            LogFailed(logger, e, PublishedPosition);
        }
    }

    [LoggerMessage(30, LogLevel.Error, "Execution event publishing stopped after log position {Position}; durable watches still serve every event, live subscribers get none until the host restarts")]
    private static partial void LogFailed(ILogger logger, Exception exception, long position);
}
