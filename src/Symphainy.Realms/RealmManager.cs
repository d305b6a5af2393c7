using Symphainy.Hosting;

namespace Symphainy.Realms;

/// <summary>
/// A realm's service: deterministic and stateless, input to output. Orchestrators call services through
/// <c>saga.Step("name", (MyService s) =&gt; s.Do(input))</c>; a service never calls another service, never calls an
/// agent or a chat client, never orchestrates and never touches a store (the analyzers shipped with this package say
/// so at build time). Registered as a singleton by <see cref="RealmCatalog.Service{TService}"/>.
/// </summary>
public interface IRealmService;

/// <summary>
/// A realm's manager: the one place that says what the realm offers. It declares the realm's capabilities (each run by
/// a thin orchestrator), its services and its agents in <see cref="Register"/>, and binds the realm to the host's
/// lifecycle (<see cref="OnStartAsync"/>, <see cref="OnStopAsync"/>, run by the City Manager in dependency order).
/// Added to a host with <c>AddRealm&lt;TRealm&gt;()</c>.
/// </summary>
/// <example>
/// <code>
/// public sealed class InsightsRealm : RealmManager
/// {
///     protected override void Register(RealmCatalog catalog) => catalog
///         .Service&lt;QualityRules&gt;()
///         .Agent&lt;QualityExplainer&gt;()
///         .Capability&lt;AssessDataQuality&gt;("insights.assess_data_quality", "Profiles a parsed table and explains its defects.");
/// }
/// </code>
/// </example>
public abstract class RealmManager : IRealmLifecycle
{
    private IServiceProvider? _services;

    /// <summary>
    /// The realm's name: lower case letters, digits and '_', the prefix of its capabilities' names. By default the type's
    /// name without a trailing "Realm", in lower case (<c>InsightsRealm</c>: <c>insights</c>).
    /// </summary>
    public virtual string Realm => RealmCatalog.DefaultName(GetType());

    /// <summary>The realms that must be started before this one (by name). None by default.</summary>
    public virtual IReadOnlyCollection<string> DependsOn => [];

    /// <summary>Declares the realm's capabilities, services and agents. Called once, when the realm is added to a host.</summary>
    /// <param name="catalog">Where they are declared.</param>
    protected abstract void Register(RealmCatalog catalog);

    internal void Declare(RealmCatalog catalog) => Register(catalog);

    /// <summary>Runs when the host starts, after the realms this one depends on (warm caches, open what the realm reads).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start; throwing stops the host from starting.</returns>
    protected virtual Task OnStartAsync(IServiceProvider services, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs when the host stops, after it drained its running steps, before the realms this one depends on stop.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="cancellationToken">The host's shutdown timeout.</param>
    /// <returns>The stop.</returns>
    protected virtual Task OnStopAsync(IServiceProvider services, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    Task IRealmLifecycle.StartAsync(CancellationToken cancellationToken) => OnStartAsync(Bound(), cancellationToken);

    /// <inheritdoc/>
    Task IRealmLifecycle.StopAsync(CancellationToken cancellationToken) => OnStopAsync(Bound(), cancellationToken);

    internal RealmManager Bind(IServiceProvider services)
    {
        _services = services;
        return this;
    }

    private IServiceProvider Bound() => _services ?? throw new InvalidOperationException($"Realm '{Realm}' is not bound to a host; add it with AddRealm.");
}
