using System.Text.Json.Nodes;

namespace Symphainy.Capabilities;

/// <summary>What the Curator knows of a capability: who owns it, what it takes and gives, how it behaves.</summary>
/// <param name="Name">The capability's name and the intent type that asks for it, such as <c>insights.assess_data_quality</c>.</param>
/// <param name="Version">Its version, from 1.</param>
/// <param name="Realm">The realm that owns it.</param>
/// <param name="Description">What it does, for a person.</param>
/// <param name="Determinism">Whether the same input gives the same output.</param>
/// <param name="Idempotent">Whether running it twice with the same input has the effect of running it once.</param>
/// <param name="InputSchema">JSON Schema of its input, derived from the input type.</param>
/// <param name="OutputSchema">JSON Schema of its output, derived from the output type.</param>
/// <param name="SagaDefinition">The saga definition that runs it.</param>
/// <param name="SagaVersion">That definition's version.</param>
public sealed record CapabilityDescriptor(
    string Name,
    int Version,
    string Realm,
    string Description,
    Determinism Determinism,
    bool Idempotent,
    JsonNode InputSchema,
    JsonNode OutputSchema,
    string SagaDefinition,
    int SagaVersion);
