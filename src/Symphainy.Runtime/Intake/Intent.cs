using System.Text.Json;

namespace Symphainy.Intake;

/// <summary>A request to the platform: do <see cref="Type"/> with <see cref="Payload"/> for a tenant.</summary>
/// <param name="Type">The capability asked for, such as <c>insights.assess_data_quality</c> (trimmed and lower-cased on intake).</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Payload">The input, as JSON; validated against the capability's input schema.</param>
/// <param name="Session">The session it belongs to, if any.</param>
/// <param name="IdempotencyKey">With the same key within the tenant, a resubmission returns the first execution instead of starting another; the same key with another type or payload is refused (<c>intake.idempotency_key_reused</c>).</param>
/// <param name="Metadata">Free-form string pairs carried with the intent (at most 32, keys up to 64 characters, values up to 1024).</param>
/// <param name="Version">A specific capability version; the latest when null.</param>
public sealed record Intent(
    string Type,
    TenantId Tenant,
    JsonElement Payload,
    SessionId? Session = null,
    string? IdempotencyKey = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    int? Version = null);
