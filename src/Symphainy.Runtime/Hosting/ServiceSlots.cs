using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.Hosting;

/// <summary>
/// Slots for the services a host or a provider package may replace (the ports, the clock, randomness, the capability
/// resolver, sessions). A slot is one service type (and key) with up to three kinds of registration:
/// <list type="bullet">
/// <item><description>a plane's <em>default</em> (<see cref="AddDefault(IServiceCollection, ServiceDescriptor)"/>), used only
/// while nothing else is registered for the type, and replaced by a later default of a higher plane;</description></item>
/// <item><description>a provider package's <em>choice</em> (<see cref="Choose(IServiceCollection, ServiceDescriptor)"/>), which
/// removes the defaults and registers itself;</description></item>
/// <item><description>the host's own plain registration (<c>AddSingleton</c> and the like), which a default never
/// displaces, before or after <c>AddSymphainy</c>.</description></item>
/// </list>
/// Among choices and host registrations the last one registered wins, as everywhere in
/// Microsoft.Extensions.DependencyInjection. Which registrations are defaults is kept in the service collection itself,
/// so registration order between the host and the planes does not matter.
/// </summary>
public static class ServiceSlots
{
    /// <summary>
    /// Registers <paramref name="descriptor"/> as a plane's default for its service type: it replaces an earlier default
    /// of that type (a plane registers its defaults after the planes it builds on, so the higher plane's wins), and is
    /// not added when the host or a provider package already registered that type. One they register later wins over
    /// it anyway, because the last registration wins.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="descriptor">The default registration.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddDefault(this IServiceCollection services, ServiceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(descriptor);
        var defaults = Defaults(services);
        var earlierDefaults = new List<ServiceDescriptor>();
        foreach (var existing in services)
        {
            if (!SameSlot(existing, descriptor))
            {
                continue;
            }

            if (!defaults.Contains(existing))
            {
                return services; // the host or a provider chose: defaults stay out
            }

            earlierDefaults.Add(existing);
        }

        foreach (var earlier in earlierDefaults)
        {
            services.Remove(earlier);
            defaults.Remove(earlier);
        }

        services.Add(descriptor);
        defaults.Add(descriptor);
        return services;
    }

    /// <summary>
    /// Registers <paramref name="descriptor"/> as a provider package's choice for its service type: every default of that
    /// type is removed, so the choice wins whether it was made before or after the planes registered their defaults. A
    /// registration of the host's own made after the choice still wins over it (the last registration wins). Choosing the
    /// same descriptor instance again moves it to the end instead of registering it twice.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="descriptor">The provider's registration.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection Choose(this IServiceCollection services, ServiceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(descriptor);
        var defaults = Defaults(services);
        for (var i = services.Count - 1; i >= 0; i--)
        {
            var existing = services[i];
            if (ReferenceEquals(existing, descriptor) || (SameSlot(existing, descriptor) && defaults.Contains(existing)))
            {
                services.RemoveAt(i);
                defaults.Remove(existing);
            }
        }

        services.Add(descriptor);
        return services;
    }

    /// <summary>Whether <paramref name="descriptor"/> is in <paramref name="services"/> as a plane's default.</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="descriptor">A registration taken from <paramref name="services"/>.</param>
    public static bool IsDefault(this IServiceCollection services, ServiceDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(descriptor);
        return Find(services) is { } marker && marker.Descriptors.Contains(descriptor) && services.Contains(descriptor);
    }

    private static bool SameSlot(ServiceDescriptor a, ServiceDescriptor b) =>
        a.ServiceType == b.ServiceType && Equals(a.ServiceKey, b.ServiceKey);

    private static HashSet<ServiceDescriptor> Defaults(IServiceCollection services)
    {
        if (Find(services) is { } marker)
        {
            return marker.Descriptors;
        }

        var created = new DefaultRegistrations();
        services.Add(ServiceDescriptor.Singleton(created));
        return created.Descriptors;
    }

    private static DefaultRegistrations? Find(IServiceCollection services)
    {
        foreach (var existing in services)
        {
            if (existing.ServiceType == typeof(DefaultRegistrations) && existing.ImplementationInstance is DefaultRegistrations marker)
            {
                return marker;
            }
        }

        return null;
    }

    /// <summary>The marker kept in the service collection: which of its registrations are defaults.</summary>
    private sealed class DefaultRegistrations
    {
        public HashSet<ServiceDescriptor> Descriptors { get; } = new(ReferenceEqualityComparer.Instance);
    }
}
