using System.Text.Json;

namespace Symphainy.Intake;

/// <summary>What an intent type resolves to: the capability and the saga definition that runs it.</summary>
/// <param name="Capability">The capability's name.</param>
/// <param name="Version">The capability's version.</param>
/// <param name="SagaDefinition">The saga definition's name.</param>
/// <param name="SagaVersion">The saga definition's version.</param>
/// <param name="ValidatePayload">Checks a payload against the input schema; returns each problem, naming the field (empty when valid).</param>
public sealed record CapabilityResolution(
    string Capability,
    int Version,
    string SagaDefinition,
    int SagaVersion,
    Func<JsonElement, IReadOnlyList<string>> ValidatePayload);
