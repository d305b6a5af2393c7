namespace Symphainy.Reliability.Tests.Faults;

/// <summary>
/// What a fault-injecting decorator does to the calls it sees, drawn from a seeded random source so that a run can be
/// replayed: a share of calls fails, a share is delayed. Turned off, the decorator only forwards. Counts what it did.
/// </summary>
public sealed class FaultPlan(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private long _calls;
    private long _failures;
    private long _delays;

    /// <summary>Whether faults are injected at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of calls that fail, 0 to 1.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The share of calls that are delayed, 0 to 1.</summary>
    public double LatencyRate { get; init; }

    /// <summary>The longest delay.</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>For the log: the share of failures whose record was written all the same (the failure came after the write).</summary>
    public double AfterWriteRate { get; init; }

    public long Calls => Interlocked.Read(ref _calls);

    public long Failures => Interlocked.Read(ref _failures);

    public long Delays => Interlocked.Read(ref _delays);

    /// <summary>Draws this call's fate: whether it fails (and, for a write, whether before or after writing) and how long it waits first.</summary>
    public (bool Fail, bool AfterWrite, TimeSpan Delay) Next()
    {
        Interlocked.Increment(ref _calls);
        if (!Enabled)
        {
            return (false, false, TimeSpan.Zero);
        }

        bool fail, after;
        TimeSpan delay;
        lock (_gate)
        {
            fail = _random.NextDouble() < ErrorRate;
            after = fail && _random.NextDouble() < AfterWriteRate;
            delay = _random.NextDouble() < LatencyRate ? TimeSpan.FromTicks((long)(_random.NextDouble() * MaxLatency.Ticks)) : TimeSpan.Zero;
        }

        if (fail)
        {
            Interlocked.Increment(ref _failures);
        }

        if (delay > TimeSpan.Zero)
        {
            Interlocked.Increment(ref _delays);
        }

        return (fail, after, delay);
    }
}
