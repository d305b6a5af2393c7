using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.Capabilities;

/// <summary>
/// The capability registry: every capability with its owning realm, version, determinism and input and output
/// schemas (derived from the C# types). Resolves intent types to capabilities for intake and validates payloads
/// against the input schema, naming each bad field. Deterministic: it never calls realms and never reasons.
/// </summary>
public sealed partial class Curator : ICapabilityResolver
{
    /// <summary>The realm of saga definitions registered without a capability description.</summary>
    public const string DefaultRealm = "default";

    private static readonly JsonSerializerOptions SchemaOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
    private readonly SagaDefinitionCatalog _sagas;
    private readonly Dictionary<string, SortedDictionary<int, CapabilityDescriptor>> _capabilities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CapabilityDescriptor> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<CapabilityDescriptor, CapabilityResolution> _resolutions = new(ReferenceEqualityComparer.Instance);

    /// <summary>Builds the registry from the saga definitions and their capability registrations.</summary>
    /// <param name="sagas">Every saga definition.</param>
    /// <param name="registrations">Capability descriptions of some of them.</param>
    /// <exception cref="SymphainyException"><c>curator.duplicate_capability</c>, <c>curator.incompatible_capability</c> or <c>curator.invalid_capability</c>.</exception>
    public Curator(SagaDefinitionCatalog sagas, IEnumerable<CapabilityRegistration> registrations)
    {
        ArgumentNullException.ThrowIfNull(sagas);
        ArgumentNullException.ThrowIfNull(registrations);
        _sagas = sagas;
        var described = new HashSet<(string, int)>();
        foreach (var registration in registrations)
        {
            var definition = sagas.Find(registration.Name, registration.Version)
                ?? throw new SymphainyException(FoundationsErrorCodes.InvalidCapability, $"Capability '{registration.Name}' v{registration.Version} has no saga definition of that name and version.");
            Register(Describe(definition, registration));
            described.Add((definition.Name, definition.Version));
        }

        foreach (var definition in sagas.All.Where(d => !described.Contains((d.Name, d.Version))))
        {
            Register(Describe(definition, new CapabilityRegistration(definition.Name, definition.Version, DefaultRealm, $"Runs saga {definition.Name}.", Determinism.NonDeterministic, Idempotent: false)));
        }
    }

    /// <summary>Every capability, by name then version.</summary>
    public IReadOnlyList<CapabilityDescriptor> All => _capabilities.Values.SelectMany(v => v.Values).ToArray();

    /// <summary>The capabilities a realm owns.</summary>
    /// <param name="realm">The realm.</param>
    public IReadOnlyList<CapabilityDescriptor> ByRealm(string realm) => All.Where(c => c.Realm == realm).ToArray();

    /// <summary>The capability of that name at that version, or the latest; null when none.</summary>
    /// <param name="name">The capability (intent type).</param>
    /// <param name="version">The version, or null for the latest.</param>
    public CapabilityDescriptor? Find(string name, int? version = null) =>
        version is { } v
            ? _capabilities.TryGetValue(name, out var versions) ? versions.GetValueOrDefault(v) : null
            : _latest.GetValueOrDefault(name);

    /// <summary>A person-readable snapshot of the catalogue, as indented JSON.</summary>
    public string Snapshot() => new JsonObject
    {
        ["capabilities"] = new JsonArray(All.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["version"] = c.Version,
            ["realm"] = c.Realm,
            ["description"] = c.Description,
            ["determinism"] = c.Determinism.ToString(),
            ["idempotent"] = c.Idempotent,
            ["saga"] = $"{c.SagaDefinition} v{c.SagaVersion}",
            ["input"] = c.InputSchema.DeepClone(),
            ["output"] = c.OutputSchema.DeepClone(),
        }).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <inheritdoc/>
    public CapabilityResolution? Resolve(string intentType, int? version)
    {
        var capability = Find(intentType, version);
        return capability is null ? null : _resolutions[capability];
    }

    /// <summary>The JSON Schema of <paramref name="type"/> as the platform serializes it (web naming, enums as strings).</summary>
    /// <param name="type">A C# type.</param>
    public static JsonNode SchemaOf(Type type) => SchemaOptions.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });

    private void Register(CapabilityDescriptor descriptor)
    {
        if (!NamePattern().IsMatch(descriptor.Name) || descriptor.Version < 1 || string.IsNullOrWhiteSpace(descriptor.Realm) || string.IsNullOrWhiteSpace(descriptor.Description))
        {
            throw new SymphainyException(
                FoundationsErrorCodes.InvalidCapability,
                $"Capability '{descriptor.Name}' v{descriptor.Version}: the name must be dotted lowercase, the version at least 1, and realm and description must be given.");
        }

        if (!_capabilities.TryGetValue(descriptor.Name, out var versions))
        {
            _capabilities[descriptor.Name] = versions = [];
        }

        if (versions.ContainsKey(descriptor.Version))
        {
            throw new SymphainyException(FoundationsErrorCodes.DuplicateCapability, $"Capability '{descriptor.Name}' v{descriptor.Version} is already registered.");
        }

        if (versions.Values.FirstOrDefault(v => v.Realm != descriptor.Realm) is { } other)
        {
            throw new SymphainyException(
                FoundationsErrorCodes.IncompatibleCapability,
                $"Capability '{descriptor.Name}' v{descriptor.Version} is registered by realm '{descriptor.Realm}', but v{other.Version} belongs to realm '{other.Realm}'; a capability has one owner.");
        }

        if (versions.Values.FirstOrDefault(v => v.Determinism != descriptor.Determinism) is { } changed)
        {
            throw new SymphainyException(
                FoundationsErrorCodes.IncompatibleCapability,
                $"Capability '{descriptor.Name}' v{descriptor.Version} is {descriptor.Determinism}, but v{changed.Version} is {changed.Determinism}; callers rely on it: register a new capability name instead.");
        }

        versions.Add(descriptor.Version, descriptor);
        _latest[descriptor.Name] = versions.Values.Last();

        // Compiled once: every intent of this capability is checked against it.
        var validator = new JsonSchemaValidator(descriptor.InputSchema);
        _resolutions[descriptor] = new CapabilityResolution(descriptor.Name, descriptor.Version, descriptor.SagaDefinition, descriptor.SagaVersion, validator.Validate);
    }

    private static CapabilityDescriptor Describe(SagaDefinition definition, CapabilityRegistration registration) => new(
        registration.Name.Trim().ToLowerInvariant(),
        registration.Version,
        registration.Realm,
        registration.Description,
        registration.Determinism,
        registration.Idempotent,
        SchemaOf(definition.InputType),
        SchemaOf(definition.OutputType),
        definition.Name,
        definition.Version);

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex NamePattern();
}
