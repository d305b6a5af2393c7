namespace Symphainy.Testing;

/// <summary>Who submits an intent, and how: everything a <see cref="SymphainyTestHost.SubmitAsync"/> call may change from the host's defaults.</summary>
public sealed record SubmitOptions
{
    /// <summary>The tenant; the host's <see cref="SymphainyTestHostOptions.Tenant"/> when null.</summary>
    public TenantId? Tenant { get; init; }

    /// <summary>The session the intent belongs to (<see cref="SymphainyTestHost.StartSessionAsync"/>), if any.</summary>
    public SessionId? Session { get; init; }

    /// <summary>The idempotency key, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The principal's id; the host's <see cref="SymphainyTestHostOptions.PrincipalId"/> when null.</summary>
    public string? PrincipalId { get; init; }

    /// <summary>The principal's roles; the host's <see cref="SymphainyTestHostOptions.Roles"/> when null.</summary>
    public IReadOnlyCollection<string>? Roles { get; init; }

    /// <summary>Submits with no principal at all (the Security Guard then refuses with <c>security.unauthenticated</c>).</summary>
    public bool Anonymous { get; init; }

    /// <summary>The intent's metadata, if any.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The capability version to run; the latest when null.</summary>
    public int? Version { get; init; }
}
