using FsCheck.Xunit;
using Symphainy.Sessions;

namespace Symphainy.Runtime.Tests.Sessions;

/// <summary>
/// What the session registry keeps the log for: the lowest position of an open, unexpired session's latest record,
/// through starts, touches (a later record), ends and expiry in any order.
/// </summary>
public sealed class OpenSessionRecordsTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    [Property(MaxTest = 200)]
    public void The_lowest_position_is_the_lowest_of_the_open_unexpired_sessions(int seed)
    {
        var random = new Random(seed);
        var ids = new IdGenerator(TimeProvider.System, new SeededRandomSource(seed));
        var tenant = ids.Next<TenantId>();
        var sessions = Enumerable.Range(0, 40).Select(_ => ids.Next<SessionId>()).ToArray();
        var records = new OpenSessionRecords();
        var model = new Dictionary<SessionId, (long Position, DateTimeOffset Expires)>();
        var now = Start;
        var next = 1L;
        for (var move = 0; move < 600; move++)
        {
            var session = sessions[random.Next(sessions.Length)];
            switch (random.Next(4))
            {
                case 0 or 1: // started or touched: a newer record, a new expiry
                    next += random.Next(1, 5);
                    var expires = now + TimeSpan.FromSeconds(random.Next(1, 60));
                    records.Set(tenant, session, next, expires);
                    model[session] = (next, expires);
                    break;
                case 2:
                    records.Remove(tenant, session);
                    model.Remove(session);
                    break;
                default:
                    now += TimeSpan.FromSeconds(random.Next(0, 10));
                    break;
            }

            var open = model.Where(m => m.Value.Expires > now).ToList();
            long? expected = open.Count == 0 ? null : open.Min(m => m.Value.Position);
            records.Lowest(now).Should().Be(expected, "after move {0} (seed {1})", move, seed);
            var found = records.TryGetExpiry(tenant, session, out var recorded);
            if (model.TryGetValue(session, out var modelled) && modelled.Expires > now)
            {
                found.Should().BeTrue();
                recorded.Should().Be(modelled.Expires);
            }
            else if (!model.ContainsKey(session))
            {
                found.Should().BeFalse("an ended session is forgotten");
            }
        }
    }
}
