using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Agents;
using Symphainy.Hosting;

namespace Symphainy.Realms;

/// <summary>Adds realms to a host.</summary>
public static class RealmSymphainyBuilderExtensions
{
    /// <summary>
    /// Adds a realm: its manager declares its capabilities (registered with the Curator through the Runtime), services and
    /// agents, and is registered as an <see cref="IRealmLifecycle"/>, so the City Manager (<c>AddSmartCity</c>) starts it
    /// after the realms it depends on and stops it after the host drained. Adding the same realm twice adds it once.
    /// </summary>
    /// <typeparam name="TRealm">The realm's manager.</typeparam>
    /// <param name="builder">The Symphainy builder.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="SymphainyException"><c>realm.invalid_registration</c> when the declaration is not valid.</exception>
    public static ISymphainyBuilder AddRealm<TRealm>(this ISymphainyBuilder builder)
        where TRealm : RealmManager, new() => builder.AddRealm(new TRealm());

    /// <summary>Adds a realm from its manager (see <see cref="AddRealm{TRealm}(ISymphainyBuilder)"/>).</summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="realm">The realm's manager.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="SymphainyException"><c>realm.invalid_registration</c> when the declaration is not valid.</exception>
    public static ISymphainyBuilder AddRealm(this ISymphainyBuilder builder, RealmManager realm)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(realm);
        var services = builder.Services;
        var known = services.Where(d => d.ServiceType == typeof(RealmManager) && d.ImplementationInstance is RealmManager).Select(d => (RealmManager)d.ImplementationInstance!).ToList();
        var name = realm.Realm;
        if (known.Any(r => r.GetType() == realm.GetType() && r.Realm == name))
        {
            return builder; // the same realm again
        }

        if (string.IsNullOrEmpty(name) || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw RealmCatalog.Invalid($"Realm name '{name}' of {realm.GetType().Name} must be lower case letters, digits and '_'.");
        }

        if (known.FirstOrDefault(r => r.Realm == name) is { } other)
        {
            throw RealmCatalog.Invalid($"Two realms are named '{name}': {other.GetType().Name} and {realm.GetType().Name}.");
        }

        builder.AddRuntime();
        builder.AddAgents();
        builder.TryAddPlane("Realms", "domain logic in realms: managers, orchestrators, services, agents", typeof(RealmManager));
        var catalog = new RealmCatalog(builder, name);
        realm.Declare(catalog);
        catalog.Apply();
        services.AddSingleton(realm);
        services.AddSingleton<IRealmLifecycle>(sp => realm.Bind(sp));
        return builder;
    }

    /// <summary>
    /// Adds every realm whose manager is a public, non-abstract <see cref="RealmManager"/> with a parameterless
    /// constructor in <paramref name="assembly"/>, in the order of their names (boot order still follows their
    /// dependencies).
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="assembly">The assembly to scan.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddRealmsFrom(this ISymphainyBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetExportedTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(RealmManager).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            builder.AddRealm((RealmManager)Activator.CreateInstance(type)!);
        }

        return builder;
    }
}
