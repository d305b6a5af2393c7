using System.Numerics;

namespace Symphainy.LoadHarness;

/// <summary>
/// Latencies in fixed log-linear buckets (64 per power of two, so a value is known within 1.6%). Recording
/// never allocates, so the harness does not add its own garbage to the allocations per operation it reports.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBuckets = 64;
    private const int MaxExponent = 45; // 2^45 ns is almost ten hours; longer latencies land in the last bucket
    private readonly long[] _counts = new long[2 * SubBuckets + (MaxExponent - 6) * SubBuckets];

    /// <summary>How many latencies were recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Records one latency in nanoseconds.</summary>
    public void Record(long nanoseconds)
    {
        _counts[Index(Math.Max(0, nanoseconds))]++;
        Count++;
    }

    /// <summary>Adds the counts of <paramref name="other"/> to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The latency below which <paramref name="fraction"/> of the recorded ones fall, in microseconds.</summary>
    public double PercentileMicros(double fraction)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(fraction * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Midpoint(i) / 1000.0;
            }
        }

        return Midpoint(_counts.Length - 1) / 1000.0;
    }

    private int Index(long value)
    {
        if (value < 2 * SubBuckets)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = exponent - 6;
        var index = 2 * SubBuckets + (exponent - 7) * SubBuckets + (int)(value >> shift) - SubBuckets;
        return Math.Min(index, _counts.Length - 1);
    }

    private static double Midpoint(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }

        var k = index - 2 * SubBuckets;
        var shift = k / SubBuckets + 1;
        var mantissa = (long)(k % SubBuckets + SubBuckets);
        return ((mantissa << shift) + ((mantissa + 1) << shift)) / 2.0;
    }
}
