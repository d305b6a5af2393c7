using System.ComponentModel.DataAnnotations;
using Symphainy.Configuration;

namespace Symphainy.PublicWorks.Redis;

/// <summary>Settings of the Redis provider, under <c>Symphainy:Redis</c>.</summary>
[OptionsSection(SectionName)]
public sealed class RedisOptions
{
    /// <summary>The configuration section: <c>Symphainy:Redis</c>.</summary>
    public const string SectionName = "Symphainy:Redis";

    /// <summary>
    /// The StackExchange.Redis configuration string, such as <c>localhost:6379</c> or
    /// <c>redis.internal:6379,password=...,ssl=true</c>. Required.
    /// </summary>
    [Required(ErrorMessage = "is required: the Redis server to use, such as localhost:6379")]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// What every key starts with, so several deployments can share one server. Default <c>symphainy</c>; letters,
    /// digits, <c>-</c>, <c>_</c> and <c>.</c> only.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$", ErrorMessage = "must be 1 to 64 letters, digits, '-', '_' or '.'")]
    public string KeyPrefix { get; set; } = "symphainy";

    /// <summary>How long the first connection may take when the host starts before it fails. Default 10 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "must be between 100 ms and 10 minutes")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a keyed value or lease outlives its deadline in Redis before the server deletes it. Expiry is
    /// judged by the host's clock (the deadline is stored with the value); Redis's own expiry only collects what
    /// nobody will read again. Default 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "must be between 1 second and 1 day")]
    public TimeSpan ExpiryGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether the host refuses to start unless the server runs with <c>appendonly yes</c> and <c>appendfsync always</c>
    /// (read with <c>CONFIG GET</c>): only then does a record the server acknowledged survive its crash. Default true.
    /// Set false for a server whose configuration cannot be read (the log is then as durable as the server is set up to
    /// be, and a warning says so at start).
    /// </summary>
    public bool RequireAlwaysFsync { get; set; } = true;

    /// <summary>
    /// Whether the host's checkpoints remove records from the Redis log. Default false: a checkpoint is one host's view
    /// of what it still needs, and on a log several hosts share, records another host's unfinished sagas need could go.
    /// The log then grows with every record (about 150 bytes each, plus the payload): set true when one host runs
    /// against the log, or trim by hand what every host has finished. Coordinated retention across hosts is not built.
    /// </summary>
    public bool TrimLog { get; set; }

    /// <summary>Execution events kept per tenant in the event stream, oldest trimmed first. Default 100,000.</summary>
    [Range(100, 100_000_000, ErrorMessage = "must be between 100 and 100,000,000")]
    public int EventsKeptPerTenant { get; set; } = 100_000;
}
