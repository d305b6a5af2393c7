using System.Diagnostics.Tracing;

namespace Symphainy.LoadHarness;

/// <summary>
/// Records every garbage collection pause (the runtime's suspend-to-restart events), so that a row's p99 can be
/// compared with the longest pauses it went through: a p99 made of pauses moves with them, one that is not does not.
/// </summary>
internal sealed class GcPauses : EventListener
{
    private const int SuspendBegin = 9;
    private const int RestartEnd = 3;
    private readonly List<double> _pauses = [];
    private readonly Lock _gate = new();
    private DateTime _suspended;

    /// <summary>The pauses since the last call, in milliseconds, longest first.</summary>
    public IReadOnlyList<double> Take()
    {
        lock (_gate)
        {
            var taken = _pauses.OrderDescending().ToArray();
            _pauses.Clear();
            return taken;
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventId)
        {
            case SuspendBegin:
                _suspended = eventData.TimeStamp;
                break;
            case RestartEnd when _suspended != default:
                lock (_gate)
                {
                    _pauses.Add((eventData.TimeStamp - _suspended).TotalMilliseconds);
                }

                _suspended = default;
                break;
        }
    }
}
