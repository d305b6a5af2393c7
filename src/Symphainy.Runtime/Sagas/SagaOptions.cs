using System.ComponentModel.DataAnnotations;

namespace Symphainy.Sagas;

/// <summary>Saga engine settings, under <c>Symphainy:Sagas</c>.</summary>
public sealed class SagaOptions
{
    /// <summary>
    /// How many orchestrator continuations run at the same time on the engine's worker pool; waiting sagas take
    /// no worker. Default 0: the number of processors.
    /// </summary>
    [Range(0, 1024, ErrorMessage = "must be between 0 (one per processor) and 1024")]
    public int MaxParallelism { get; set; }

    /// <summary>
    /// How many ended sagas the engine keeps in memory for queries, oldest forgotten first. Older ones are answered
    /// from the state graph (which the Foundations projector fills from the log). Default 10,000: every saga kept in
    /// memory outlives the young generation of the garbage collector, so a large number costs latency.
    /// </summary>
    [Range(0, 10_000_000, ErrorMessage = "must be between 0 and 10,000,000")]
    public int EndedSagasKept { get; set; } = 10_000;

    /// <summary>
    /// On a write-ahead log shared between hosts (<see cref="Wal.ISharedWriteAheadLog"/>): how long the lease a host
    /// takes on a saga it runs lasts without renewal (it is renewed three times per duration). A host that dies or
    /// pauses loses its sagas after at most this long. Default 15 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "must be between 1 second and 1 hour")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Whether this host runs sagas (default true). False makes it a host that only accepts intents: on a shared log
    /// (<see cref="Wal.ISharedWriteAheadLog"/>) the sagas it accepts are queued for the hosts that run them, and its
    /// <see cref="ISagaEngine"/> follows the log to learn how they ended. A host on a log of its own must run sagas.
    /// </summary>
    public bool Execute { get; set; } = true;
}
