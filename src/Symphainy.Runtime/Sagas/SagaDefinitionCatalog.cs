using System.Text.Json;
using Symphainy.Intake;
using Symphainy.Internal;

namespace Symphainy.Sagas;

/// <summary>
/// Every registered saga definition, by name and version. Also the Runtime's default
/// <see cref="ICapabilityResolver"/>: an intent type resolves to the saga definition of the same name.
/// </summary>
public sealed class SagaDefinitionCatalog : ICapabilityResolver
{
    private readonly Dictionary<string, SortedDictionary<int, SagaDefinition>> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SagaDefinition> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<SagaDefinition, CapabilityResolution> _resolutions = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the catalog from the registered definitions.</summary>
    /// <param name="definitions">The definitions; a name and version may appear once.</param>
    public SagaDefinitionCatalog(IEnumerable<SagaDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        foreach (var definition in definitions)
        {
            if (!_definitions.TryGetValue(definition.Name, out var versions))
            {
                _definitions[definition.Name] = versions = [];
            }

            if (!versions.TryAdd(definition.Version, definition))
            {
                throw new SymphainyException(ErrorCodes.SagaInvalidDefinition, $"Saga '{definition.Name}' v{definition.Version} is registered twice.");
            }
        }

        // Every intent looks up the latest version: keep it at hand instead of walking the sorted versions.
        foreach (var (name, versions) in _definitions)
        {
            _latest[name] = versions.Values.Last();
            foreach (var definition in versions.Values)
            {
                _resolutions[definition] = new CapabilityResolution(definition.Name, definition.Version, definition.Name, definition.Version, payload => Validate(definition, payload));
            }
        }
    }

    /// <summary>Whether <paramref name="resolution"/> is this catalog's own for <paramref name="definition"/>: its payload check is binding the input.</summary>
    internal bool IsOwn(CapabilityResolution resolution, SagaDefinition definition) =>
        _resolutions.TryGetValue(definition, out var own) && ReferenceEquals(own, resolution);

    /// <summary>All definitions, by name then version.</summary>
    public IEnumerable<SagaDefinition> All => _definitions.Values.SelectMany(v => v.Values);

    /// <summary>The definition of that name and version (the latest when null); null when there is none.</summary>
    /// <param name="name">The definition's name.</param>
    /// <param name="version">The version, or null for the latest.</param>
    public SagaDefinition? Find(string name, int? version = null) =>
        version is { } v
            ? _definitions.TryGetValue(name, out var versions) ? versions.GetValueOrDefault(v) : null
            : _latest.GetValueOrDefault(name);

    /// <inheritdoc/>
    public CapabilityResolution? Resolve(string intentType, int? version)
    {
        var definition = Find(intentType, version);
        if (definition is null)
        {
            return null;
        }

        return _resolutions[definition];
    }

    private static IReadOnlyList<string> Validate(SagaDefinition definition, JsonElement payload)
    {
        definition.BindInput(payload, out var problems);
        return problems;
    }
}
