namespace Symphainy.Intake;

/// <summary>What a policy sees: the normalized intent and what it resolved to (null for signal and cancel intents).</summary>
/// <param name="Intent">The intent after normalization.</param>
/// <param name="Capability">The resolved capability, or null for the built-in <c>symphainy.signal</c> and <c>symphainy.cancel</c>.</param>
public sealed record IntakeContext(Intent Intent, CapabilityResolution? Capability);
