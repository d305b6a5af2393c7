using System.Buffers.Binary;

namespace Symphainy;

/// <summary>
/// Creates typed, time-ordered ids (RFC 9562 version 7 Guids). Ids from one generator are strictly
/// increasing, also within one millisecond: the 12 bits after the timestamp are a counter that starts at
/// a random point each millisecond. Time comes from the injected <see cref="TimeProvider"/> and the random
/// bits from the injected <see cref="IRandomSource"/>, so a seeded simulation creates the same ids every run.
/// </summary>
public sealed class IdGenerator
{
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;

    // The last id's Unix milliseconds and 12-bit counter in one word (milliseconds << 12 | counter), advanced by
    // compare-and-swap: one shared word instead of a lock, which convoyed under load on few cores.
    private long _last = -1;

    /// <summary>Creates a generator.</summary>
    /// <param name="time">The clock whose Unix milliseconds lead every id.</param>
    /// <param name="random">The source of the random bits.</param>
    public IdGenerator(TimeProvider time, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        _time = time;
        _random = random;
    }

    /// <summary>Creates a new id of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The id type, such as <see cref="SessionId"/>.</typeparam>
    public T Next<T>()
        where T : struct, ITypedId<T> => T.FromGuid(NextGuid());

    /// <summary>Creates a new version 7 Guid, greater than every Guid this generator created before.</summary>
    public Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes[6..]);

        // Start low in the counter range so that many ids fit in one millisecond.
        var start = (_time.GetUtcNow().ToUnixTimeMilliseconds() << 12) | (bytes[6] & 0x3FFL);
        long last, next;
        do
        {
            last = Volatile.Read(ref _last);

            // A new millisecond starts a new counter; within one (or if the clock went back) the counter counts on,
            // and when it is exhausted it carries into the milliseconds: ids stay strictly increasing.
            next = (start >> 12) > (last >> 12) ? start : last + 1;
        }
        while (Interlocked.CompareExchange(ref _last, next, last) != last);

        BinaryPrimitives.WriteInt64BigEndian(bytes, (next >> 12) << 16);
        bytes[6] = (byte)(0x70 | ((next >> 8) & 0x0F));
        bytes[7] = (byte)next;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
