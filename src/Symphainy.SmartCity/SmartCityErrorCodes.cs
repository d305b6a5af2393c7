namespace Symphainy.SmartCity;

/// <summary>The error codes of the Smart City services.</summary>
public static class SmartCityErrorCodes
{
    /// <summary>No principal, or credentials that do not authenticate.</summary>
    public static readonly ErrorCode Unauthenticated = new(
        "security.unauthenticated", ErrorKind.Domain, isRetryable: false,
        "The request carries no principal, or its credentials (API key) do not authenticate. Authenticate with the Security Guard and submit within SymphainyPrincipal.Use(...).");

    /// <summary>The principal may not do this: another tenant's data, or a role the capability needs is missing.</summary>
    public static readonly ErrorCode Forbidden = new(
        "security.forbidden", ErrorKind.Domain, isRetryable: false,
        "The principal may not do this: the intent is for another tenant, or the capability needs a role the principal lacks. The denial is audited; nothing was recorded.");

    /// <summary>A rate limit is reached; retry after the time the error names.</summary>
    public static readonly ErrorCode RateLimited = new(
        "traffic.rate_limited", ErrorKind.Domain, isRetryable: true,
        "A rate limit of the Traffic Cop is reached (per tenant or per capability). Nothing was recorded; retry after RateLimitedException.RetryAfter.");

    /// <summary>A subscriber fell further behind than its buffer under <see cref="SlowSubscriberPolicy.Disconnect"/>.</summary>
    public static readonly ErrorCode SubscriberTooSlow = new(
        "postoffice.subscriber_too_slow", ErrorKind.Domain, isRetryable: true,
        "The subscriber fell further behind than its buffer (Symphainy:SmartCity:PostOffice:BufferSize) and the policy is Disconnect. Nothing is lost: resubscribe to resume after the last acknowledged event.");

    /// <summary>An operator command for a saga that waits for no operator.</summary>
    public static readonly ErrorCode NotParked = new(
        "conductor.not_parked", ErrorKind.Domain, isRetryable: false,
        "The saga waits for no operator on this host: it is running, ended, or parked elsewhere. Nothing was recorded.");

    /// <summary>An operator gave a parked step up.</summary>
    public static readonly ErrorCode Abandoned = new(
        "conductor.abandoned", ErrorKind.Domain, isRetryable: false,
        "An operator gave up a step the Conductor had parked; the saga compensates and ends failed.");

    /// <summary>A registered capability cannot run on this host: it does not resolve, or its saga is not registered.</summary>
    public static readonly ErrorCode CapabilityUnresolved = new(
        "city.capability_unresolved", ErrorKind.Platform, isRetryable: false,
        "A registered capability does not resolve to a registered saga on this host (the message names each one), so the City Manager does not let the host start. Register the missing saga or fix the resolver.");

    /// <summary>A saga is older than its capability's timeout; its next step does not start.</summary>
    public static readonly ErrorCode SagaTimedOut = new(
        "conductor.saga_timed_out", ErrorKind.Domain, isRetryable: false,
        "The saga is older than its capability's timeout (Symphainy:SmartCity:Conductor:SagaTimeouts); its next step did not start and the saga compensates and ends failed.");

    /// <summary>A malformed erasure request.</summary>
    public static readonly ErrorCode ErasureInvalid = new(
        "data.erasure_invalid", ErrorKind.Domain, isRetryable: false,
        "The erasure request is malformed: it names no tenant (default TenantId), both a session and executions, more than 1,000 executions, or its payload is not an erasure request. Nothing was recorded.");

    /// <summary>An erasure request for a session the tenant does not have.</summary>
    public static readonly ErrorCode ErasureUnknownSession = new(
        "data.erasure_unknown_session", ErrorKind.Domain, isRetryable: false,
        "The tenant has no such session to erase: it is unknown to this host's sessions and state graph, or it is another tenant's. Nothing was recorded.");
}
