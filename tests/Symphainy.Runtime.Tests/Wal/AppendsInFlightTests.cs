using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Symphainy.Wal;
using Symphainy.Wal.Internal;

namespace Symphainy.Runtime.Tests.Wal;

/// <summary>The reservations retention keeps for appends in flight: the lowest floor still held, ended in any order.</summary>
public sealed class AppendsInFlightTests
{
    [Property(MaxTest = 200)]
    public void Retains_from_the_lowest_reservation_still_held(int seed)
    {
        var random = new Random(seed);
        var log = new CountingLog();
        var appends = new AppendsInFlight(log);
        var held = new List<(AppendsInFlight.Reservation Reservation, long Floor)>();
        for (var move = 0; move < 2_000; move++)
        {
            if (held.Count == 0 || random.Next(5) > 0) // mostly begins: over 64 held per stripe, so the rings grow
            {
                log.Next += random.Next(0, 3);
                held.Add((appends.Begin(), log.Next));
            }
            else
            {
                var at = random.Next(held.Count);
                appends.End(held[at].Reservation);
                held.RemoveAt(at);
            }

            appends.RetainFrom.Should().Be(held.Count == 0 ? log.Next : Math.Min(log.Next, held.Min(h => h.Floor)), "after move {0} (seed {1})", move, seed);
        }
    }

    private sealed class CountingLog : IWriteAheadLog
    {
        public long Next { get; set; } = 1;

        public long NextPosition => Next;

        public long FirstPosition => 1;

        public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
