using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Symphainy.Agents;
using Symphainy.Capabilities;
using Symphainy.Hosting;

namespace Symphainy.Realms;

/// <summary>
/// What a realm declares in <see cref="RealmManager.Register"/>: its capabilities (each run by an orchestrator, an
/// <see cref="Symphainy.Sagas.Orchestrator{TInput, TOutput}"/>), its services (<see cref="IRealmService"/>) and its agents
/// (<see cref="AgentBase{TInput, TArtifact}"/>). Every capability's name starts with the realm's name and a dot.
/// </summary>
public sealed class RealmCatalog
{
    private readonly ISymphainyBuilder _builder;
    private readonly List<Action> _capabilities = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    internal RealmCatalog(ISymphainyBuilder builder, string realm)
    {
        _builder = builder;
        Realm = realm;
    }

    /// <summary>The realm being declared.</summary>
    public string Realm { get; }

    /// <summary>Declares a capability of the realm, run by <typeparamref name="TOrchestrator"/> as a durable saga.</summary>
    /// <typeparam name="TOrchestrator">Its orchestrator.</typeparam>
    /// <param name="name">Its name: <c>{realm}.{action}</c>, lower case letters, digits, '_' and '.'.</param>
    /// <param name="description">What it does, for the Curator's catalogue and for clients.</param>
    /// <param name="version">Its version (1 by default); several versions of a name can be declared.</param>
    /// <param name="idempotent">Whether submitting it twice has the effect of once (without an idempotency key).</param>
    /// <param name="retry">The default retry policy of its steps.</param>
    /// <returns>The same catalog.</returns>
    /// <exception cref="SymphainyException"><c>realm.invalid_registration</c>: a name outside the realm, declared twice, or no description.</exception>
    public RealmCatalog Capability<TOrchestrator>(string name, string description, int version = 1, bool idempotent = false, Symphainy.Sagas.RetryPolicy? retry = null)
        where TOrchestrator : class
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith(Realm + ".", StringComparison.Ordinal) || name.Length == Realm.Length + 1)
        {
            throw Invalid($"Capability '{name}' of realm '{Realm}' must be named '{Realm}.<action>': a realm's capabilities carry its name.");
        }

        if (string.IsNullOrWhiteSpace(description))
        {
            throw Invalid($"Capability '{name}' of realm '{Realm}' has no description: say what it does, clients and the Curator show it.");
        }

        if (!_names.Add($"{name}@{version}"))
        {
            throw Invalid($"Capability '{name}' v{version} is declared twice in realm '{Realm}'.");
        }

        _capabilities.Add(() => _builder.AddCapability<TOrchestrator>(name, Realm, description, version, Determinism.NonDeterministic, idempotent, retry));
        return this;
    }

    /// <summary>Declares a service of the realm (a singleton: services hold no state).</summary>
    /// <typeparam name="TService">The service.</typeparam>
    /// <returns>The same catalog.</returns>
    public RealmCatalog Service<TService>()
        where TService : class, IRealmService
    {
        _builder.Services.TryAddSingleton<TService>();
        return this;
    }

    /// <summary>Attaches an agent to the realm (from the Agent Foundation: read-only, no side effects).</summary>
    /// <typeparam name="TAgent">The agent.</typeparam>
    /// <returns>The same catalog.</returns>
    public RealmCatalog Agent<TAgent>()
        where TAgent : class
    {
        _builder.AddAgent<TAgent>();
        return this;
    }

    internal int Apply()
    {
        foreach (var add in _capabilities)
        {
            add();
        }

        return _capabilities.Count;
    }

    internal static string DefaultName(Type realm)
    {
        var name = realm.Name.EndsWith("Realm", StringComparison.Ordinal) && realm.Name.Length > "Realm".Length ? realm.Name[..^"Realm".Length] : realm.Name;
        return name.ToLowerInvariant();
    }

    internal static SymphainyException Invalid(string message) => new(RealmErrorCodes.InvalidRegistration, message);
}
