namespace Symphainy.Intake;

/// <summary>
/// Resolves an intent type to a capability. The Runtime's default maps intent types to registered saga
/// definitions of the same name; the Curator (Foundations) replaces it with the capability registry.
/// </summary>
public interface ICapabilityResolver
{
    /// <summary>The capability for <paramref name="intentType"/> (at <paramref name="version"/>, or the latest); null when none.</summary>
    /// <param name="intentType">The normalized intent type.</param>
    /// <param name="version">The version asked for, or null for the latest.</param>
    CapabilityResolution? Resolve(string intentType, int? version);
}
