namespace Symphainy.Wal.Internal;

/// <summary>
/// A retention hold for records between their append and the moment their owner holds them: intake's intent until
/// its saga is in the saga store, a session's record until the registry knows its position. Without it a checkpoint
/// running in that gap saw no hold at that position (the append had returned, the saga was not in the store yet) and
/// could remove the record's segment once it was sealed, and a crash before the saga ended then lost an acknowledged
/// intent. Each reservation holds the log from <see cref="IWriteAheadLog.NextPosition"/> as it was when the
/// reservation began, a position no higher than the one the append is given.
/// </summary>
/// <remarks>
/// Striped and allocation-free: each stripe is a ring of floors under a lock, entered in increasing order (the floor
/// is read under the stripe's lock, and the log's next position never goes down), so a stripe's lowest floor is its
/// oldest reservation still held; reservations end in any order and the ring's head skips the ended ones.
/// </remarks>
internal sealed class AppendsInFlight(IWriteAheadLog wal) : IWalRetentionHold
{
    private const int Stripes = 16;
    private const long Ended = long.MaxValue;
    private readonly Stripe[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new Stripe()).ToArray();
    private uint _next;

    /// <inheritdoc/>
    public long RetainFrom
    {
        get
        {
            var lowest = wal.NextPosition;
            foreach (var stripe in _stripes)
            {
                lowest = Math.Min(lowest, stripe.Lowest());
            }

            return lowest;
        }
    }

    /// <summary>Holds the log from its next position until <see cref="End"/>; call it before the append starts.</summary>
    public Reservation Begin()
    {
        var index = (int)(Interlocked.Increment(ref _next) % Stripes);
        return new Reservation(index, _stripes[index].Begin(wal));
    }

    /// <summary>Releases a reservation (once its record's owner holds it, or the append failed).</summary>
    public void End(Reservation reservation) => _stripes[reservation.Stripe].End(reservation.Sequence);

    /// <summary>A reservation: its stripe and its place in that stripe's ring.</summary>
    public readonly record struct Reservation(int Stripe, long Sequence);

    private sealed class Stripe
    {
        private readonly Lock _gate = new();
        private long[] _floors = new long[64];
        private long _head;
        private long _tail;

        public long Begin(IWriteAheadLog wal)
        {
            lock (_gate)
            {
                if (_tail - _head == _floors.Length)
                {
                    var grown = new long[_floors.Length * 2];
                    for (var s = _head; s < _tail; s++)
                    {
                        grown[s & (grown.Length - 1)] = _floors[s & (_floors.Length - 1)];
                    }

                    _floors = grown;
                }

                _floors[_tail & (_floors.Length - 1)] = wal.NextPosition;
                return _tail++;
            }
        }

        public void End(long sequence)
        {
            lock (_gate)
            {
                _floors[sequence & (_floors.Length - 1)] = Ended;
                while (_head < _tail && _floors[_head & (_floors.Length - 1)] == Ended)
                {
                    _head++;
                }
            }
        }

        public long Lowest()
        {
            lock (_gate)
            {
                return _head < _tail ? _floors[_head & (_floors.Length - 1)] : Ended;
            }
        }
    }
}
