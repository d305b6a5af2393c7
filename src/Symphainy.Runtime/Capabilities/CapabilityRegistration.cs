namespace Symphainy.Capabilities;

/// <summary>
/// Describes a saga definition as a capability; register with <c>builder.AddCapability&lt;TOrchestrator&gt;(...)</c>.
/// Saga definitions registered without one become capabilities of realm <c>default</c>.
/// </summary>
/// <param name="Name">The capability's name (also the saga definition's).</param>
/// <param name="Version">Its version (also the saga definition's).</param>
/// <param name="Realm">The owning realm.</param>
/// <param name="Description">What it does.</param>
/// <param name="Determinism">Whether the same input gives the same output.</param>
/// <param name="Idempotent">Whether running it twice equals running it once.</param>
public sealed record CapabilityRegistration(string Name, int Version, string Realm, string Description, Determinism Determinism, bool Idempotent);
