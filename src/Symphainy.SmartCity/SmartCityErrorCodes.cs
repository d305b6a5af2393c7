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

    /// <summary>The registered realms cannot be ordered: one is registered twice, depends on an unknown realm, or they form a cycle.</summary>
    public static readonly ErrorCode RealmOrderInvalid = new(
        "city.realm_order_invalid", ErrorKind.Platform, isRetryable: false,
        "The registered realms cannot be booted in order: a realm is registered twice, depends on a realm that is not registered, or the realms depend on each other in a cycle (the message names it). The host does not start.");

    /// <summary>A realm failed to start; the host does not start.</summary>
    public static readonly ErrorCode RealmStartFailed = new(
        "city.realm_start_failed", ErrorKind.Platform, isRetryable: false,
        "A realm failed to start (the message names it and the inner exception says why). The realms started before it were stopped again and the host does not start.");

    /// <summary>A fact names a fact schema the Librarian does not know for the tenant.</summary>
    public static readonly ErrorCode UnknownFactSchema = new(
        "librarian.unknown_fact_schema", ErrorKind.Agent, isRetryable: true,
        "A fact the agent extracted names a schema the Librarian does not know for the tenant (the message names the fact and the schema). Retryable: a model may name a registered schema next time; register it with AddFactSchema if it should exist.");

    /// <summary>A fact's value is missing or not of the kind its schema says (or lacks a required field).</summary>
    public static readonly ErrorCode InvalidFactValue = new(
        "librarian.invalid_fact_value", ErrorKind.Agent, isRetryable: true,
        "A fact's value is missing or not of the kind its schema says (text, number, whole number, boolean, date, a record: an object with the schema's required fields); the message names the fact and what was expected. Retryable: a model may do better next time.");

    /// <summary>A fact comes from a source its schema does not accept.</summary>
    public static readonly ErrorCode FactSourceNotAllowed = new(
        "librarian.fact_source_not_allowed", ErrorKind.Agent, isRetryable: false,
        "A fact of a schema comes from a source the schema does not accept (FactSchema.Sources, FactSchema.Provenances), or from a knowledge source the tenant may not read. The message names the fact, its source and the sources allowed; the same material gives the same answer, so it is not retried.");

    /// <summary>A malformed erasure request.</summary>
    public static readonly ErrorCode ErasureInvalid = new(
        "data.erasure_invalid", ErrorKind.Domain, isRetryable: false,
        "The erasure request is malformed: it names no tenant (default TenantId), both a session and executions, more than 1,000 executions, or its payload is not an erasure request. Nothing was recorded.");

    /// <summary>An erasure request for a session the tenant does not have.</summary>
    public static readonly ErrorCode ErasureUnknownSession = new(
        "data.erasure_unknown_session", ErrorKind.Domain, isRetryable: false,
        "The tenant has no such session to erase: it is unknown to this host's sessions and state graph, or it is another tenant's. Nothing was recorded.");
}
