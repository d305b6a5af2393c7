using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Sagas;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// The saga store as a retention hold: the position it keeps the log from is always the lowest first position of a
/// live saga, whatever order sagas start, resume afresh and end in (they do not end in the order they started, and
/// two intakes can add their sagas in the other order than their intents were recorded).
/// </summary>
public sealed class SagaStoreRetentionTests
{
    private const int Positions = 500;
    private static readonly SagaDefinition Definition = SagaDefinition.Create<PlaceOrder, OrderInput, OrderOutput>("orders.place");
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);

    /// <summary>One move: start a saga at a position, end the n-th live one, or resume the n-th live one afresh.</summary>
    public sealed record Move(int Kind, int Position, int Pick);

    [Property(MaxTest = 200, Arbitrary = [typeof(Steps)])]
    public void Retains_from_the_lowest_first_position_of_a_live_saga(Move[] moves)
    {
        var (store, wal) = NewStore();
        var live = new List<SagaRun>();
        foreach (var step in moves)
        {
            switch (step.Kind)
            {
                case 0 or 1:
                    var run = NewRun(step.Position);
                    store.Add(run);
                    live.Add(run);
                    break;
                case 2 when live.Count > 0:
                    var ended = live[step.Pick % live.Count];
                    store.Retire(ended.Snapshot());
                    live.Remove(ended);
                    break;
                case 3 when live.Count > 0:
                    var at = step.Pick % live.Count;
                    var afresh = live[at].Afresh();
                    store.Add(afresh);
                    live[at] = afresh;
                    break;
            }

            var expected = live.Count == 0 ? wal.NextPosition : Math.Min(wal.NextPosition, live.Min(r => r.FirstPosition));
            store.RetainFrom.Should().Be(expected, "after {0} the live first positions are [{1}]", step, string.Join(", ", live.Select(r => r.FirstPosition)));
            store.ActiveCount.Should().Be(live.Count);
        }
    }

    [Fact]
    public void Through_a_backlog_and_after_it_the_store_retains_from_the_lowest_live_position()
    {
        // 150,000 live sagas: several thousand per stripe, so that the stripes shrink back as the backlog ends.
        var (store, wal) = NewStore();
        var random = new Random(20261126);
        var backlog = Enumerable.Range(0, 150_000).Select(_ => NewRun(random.Next(1, Positions + 1))).ToList();
        var live = new int[Positions + 1];
        foreach (var run in backlog)
        {
            store.Add(run);
            live[run.FirstPosition]++;
        }

        long Lowest() => Array.FindIndex(live, n => n > 0) is var at and > 0 ? at : wal.NextPosition;
        store.RetainFrom.Should().Be(Lowest());
        foreach (var run in backlog.OrderBy(_ => random.Next()))
        {
            store.Retire(run.Snapshot());
            live[run.FirstPosition]--;
            store.RetainFrom.Should().Be(Lowest());
        }

        store.ActiveCount.Should().Be(0);
        store.RetainFrom.Should().Be(wal.NextPosition);

        var late = NewRun(Positions - 3);
        var early = NewRun(Positions - 7);
        store.Add(late);
        store.Add(early);
        store.RetainFrom.Should().Be(Positions - 7);
        store.Retire(early.Snapshot());
        store.RetainFrom.Should().Be(Positions - 3);
        store.TryGetActive(late.Tenant, late.Id, out var found).Should().BeTrue();
        ReferenceEquals(found, late).Should().BeTrue("the store hands back the run it holds");
    }

    private static (SagaStore Store, InMemoryWriteAheadLog Wal) NewStore()
    {
        var wal = new InMemoryWriteAheadLog(TimeProvider.System);
        var tenant = Ids.Next<TenantId>();
        for (var i = 0; i < Positions + 1; i++)
        {
            wal.AppendAsync(new WalEntry(WalRecordKind.IntentReceived, tenant, new byte[] { (byte)'{', (byte)'}' })).AsTask().GetAwaiter().GetResult();
        }

        return (new SagaStore(wal, Options.Create(new SymphainyOptions())), wal);
    }

    private static SagaRun NewRun(long firstPosition) =>
        new(Ids.Next<SagaId>(), Ids.Next<TenantId>(), null, Ids.Next<IntentId>(), Definition, "{}"u8.ToArray(), firstPosition);

    /// <summary>Sequences of up to a few hundred steps over a few hundred positions, starts twice as likely as the rest.</summary>
    public static class Steps
    {
        public static Arbitrary<Move[]> Generate() =>
            (from length in Gen.Choose(0, 300)
             from moves in Gen.ArrayOf(
                 from kind in Gen.Choose(0, 3)
                 from position in Gen.Choose(1, Positions)
                 from pick in Gen.Choose(0, int.MaxValue)
                 select new Move(kind, position, pick),
                 length)
             select moves).ToArbitrary();
    }
}
