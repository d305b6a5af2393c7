namespace Symphainy.Sessions;

/// <summary>One user's or system's conversation with the platform, within one tenant.</summary>
/// <param name="Id">The session id.</param>
/// <param name="Tenant">The tenant that owns it.</param>
/// <param name="CreatedAt">When it started.</param>
/// <param name="ExpiresAt">When it expires unless touched.</param>
/// <param name="EndedAt">When it was ended, or null while open.</param>
/// <param name="Attributes">Host-defined attributes (user id, channel, locale...).</param>
public sealed record Session(
    SessionId Id,
    TenantId Tenant,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? EndedAt,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>Whether the session was ended.</summary>
    public bool IsEnded => EndedAt is not null;
}
