using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Symphainy.Sessions;
using Symphainy.State;

namespace Symphainy.Hosting;

/// <summary>Registers the state surface: in-memory hot state and graph (providers replace them) and sessions.</summary>
internal static class StateSurfaceServiceCollectionExtensions
{
    public static IServiceCollection AddStateSurface(this IServiceCollection services)
    {
        services.TryAddSingleton<IHotStateStore>(sp => new InMemoryHotStateStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IStateGraph, InMemoryStateGraph>();
        services.TryAddSingleton<ISessionRegistry, SessionRegistry>();
        return services;
    }
}
