using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Internal;

namespace Symphainy.Hosting;

/// <summary>Registers the state surface: in-memory hot state and graph and the session registry, each a default a host or provider replaces.</summary>
internal static class StateSurfaceServiceCollectionExtensions
{
    public static IServiceCollection AddStateSurface(this IServiceCollection services)
    {
        services.AddDefault(ServiceDescriptor.Singleton<IHotStateStore>(sp => new InMemoryHotStateStore(sp.GetRequiredService<TimeProvider>())));
        services.AddDefault(ServiceDescriptor.Singleton<IStateGraph, InMemoryStateGraph>());
        services.TryAddSingleton<SessionRegistry>();
        services.AddDefault(ServiceDescriptor.Singleton<ISessionRegistry>(sp => sp.GetRequiredService<SessionRegistry>()));

        // The default registry restores sessions from the log and keeps their records, even where a host chose another registry.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRecoveryParticipant, SessionRegistry>(sp => sp.GetRequiredService<SessionRegistry>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWalRetentionHold, SessionRegistry>(sp => sp.GetRequiredService<SessionRegistry>()));
        return services;
    }
}
