using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Symphainy.SmartCity;

namespace Symphainy.Testing;

/// <summary>How a <see cref="SymphainyTestHost"/> is set up. Every setting has a default that suits a unit test.</summary>
public sealed class SymphainyTestHostOptions
{
    /// <summary>The tenant intents are submitted as unless a submission names another.</summary>
    public TenantId Tenant { get; set; } = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");

    /// <summary>The id of the principal the Security Guard sees submitting (authenticated by the host).</summary>
    public string PrincipalId { get; set; } = "test-user";

    /// <summary>The principal's roles (for capabilities that <see cref="SecurityGuardOptions.CapabilityRoles"/> restricts).</summary>
    public ISet<string> Roles { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Where the fake clock starts.</summary>
    public DateTimeOffset StartTime { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Keeps the log in segment files under <see cref="DataDirectory"/> (the Runtime's file log) instead of in memory, so a
    /// crash and recovery also runs the file log's torn-tail recovery. Either survives <see cref="SymphainyTestHost.CrashAndRecoverAsync"/>.
    /// </summary>
    public bool UseFileLog { get; set; }

    /// <summary>The data directory (blobs, the file log); a new temporary directory, deleted on dispose, when null.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Configuration (keys like <c>Symphainy:Sagas:MaxParallelism</c> or <c>Symphainy:SmartCity:Traffic:...</c>).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Code configuration of the Security Guard (API keys, capability roles), after <see cref="Settings"/>.</summary>
    public Action<SecurityGuardOptions>? Security { get; set; }

    /// <summary>Code configuration of the Traffic Cop (rate limits), after <see cref="Settings"/>.</summary>
    public Action<TrafficCopOptions>? Traffic { get; set; }

    /// <summary>The chat client agents use; the offline <c>LocalChatClient</c> when null.</summary>
    public IChatClient? ChatClient { get; set; }

    /// <summary>Adds log providers (none by default: tests stay quiet).</summary>
    public Action<ILoggingBuilder>? Logging { get; set; }

    /// <summary>How long <see cref="TestExecution.WaitForEndAsync"/> waits for a step that is still running before it gives up.</summary>
    public TimeSpan EndTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A log to start on (replay seeds one); null for a new, empty one.</summary>
    internal Symphainy.Wal.IWriteAheadLog? Log { get; set; }
}
