using Symphainy.State;

namespace Symphainy.Wal;

/// <summary>
/// A write-ahead log that several hosts append to at once (the Redis one). The engine then runs a saga only while it
/// holds the saga's lease in <see cref="Leases"/> and fences every record of that saga with it
/// (<see cref="WalEntry.Fence"/>): the log writes a record only while the lease is still the writer's, so two hosts
/// never both record a saga, and a host paused past its lease records nothing more once another took over. Which
/// host runs which saga is decided by <see cref="Work"/>.
/// </summary>
public interface ISharedWriteAheadLog : IWriteAheadLog
{
    /// <summary>The store whose leases this log checks fences against.</summary>
    IHotStateStore Leases { get; }

    /// <summary>The queue that hands the sagas accepted on this log to the hosts that run them.</summary>
    ISagaWorkDistribution Work { get; }
}
