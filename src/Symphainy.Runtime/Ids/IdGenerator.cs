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
    private const long MaxCounter = 0xFFF;
    private readonly TimeProvider _time;
    private readonly IRandomSource _random;
    private readonly Lock _gate = new();
    private long _lastMilliseconds = -1;
    private long _counter;

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

        long milliseconds;
        long counter;
        lock (_gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _lastMilliseconds)
            {
                _lastMilliseconds = now;
                // Start low in the counter range so that many ids fit in one millisecond.
                _counter = bytes[6] & 0x3FF;
            }
            else if (++_counter > MaxCounter)
            {
                // Counter exhausted (or the clock went back): borrow the next millisecond to stay monotonic.
                _lastMilliseconds++;
                _counter = bytes[6] & 0x3FF;
            }

            milliseconds = _lastMilliseconds;
            counter = _counter;
        }

        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        bytes[6] = (byte)(0x70 | (counter >> 8));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }
}
