using Microsoft.Extensions.DependencyInjection;
using Symphainy.Sessions;
using Symphainy.State;

namespace Symphainy.Hosting;

/// <summary>Registers the state surface: in-memory hot state and graph and the session registry, each a default a host or provider replaces.</summary>
internal static class StateSurfaceServiceCollectionExtensions
{
    public static IServiceCollection AddStateSurface(this IServiceCollection services)
    {
        services.AddDefault(ServiceDescriptor.Singleton<IHotStateStore>(sp => new InMemoryHotStateStore(sp.GetRequiredService<TimeProvider>())));
        services.AddDefault(ServiceDescriptor.Singleton<IStateGraph, InMemoryStateGraph>());
        services.AddDefault(ServiceDescriptor.Singleton<ISessionRegistry, SessionRegistry>());
        return services;
    }
}
