using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;
using Symphainy.Wal.Internal;

namespace Symphainy.Hosting;

/// <summary>Registers intake, the saga engine and execution events.</summary>
internal static class SagaServiceCollectionExtensions
{
    public static IServiceCollection AddSagaEngine(this IServiceCollection services)
    {
        services.TryAddSingleton<SagaScheduler>();
        services.TryAddSingleton<SagaDefinitionCatalog>();
        services.AddDefault(ServiceDescriptor.Singleton<ICapabilityResolver>(sp => sp.GetRequiredService<SagaDefinitionCatalog>()));
        services.AddDefault(ServiceDescriptor.Singleton<IExecutionEventBus>(_ => new InProcessExecutionEventBus()));
        services.TryAddSingleton<SagaStore>();
        services.TryAddSingleton<LogRetention>();
        services.TryAddSingleton<IWalRetention>(sp => sp.GetRequiredService<LogRetention>());
        services.TryAddSingleton<SagaExecutor>(sp => ActivatorUtilities.CreateInstance<SagaExecutor>(sp, OwnershipFor(sp) is { } ownership ? [ownership] : []));
        services.TryAddSingleton<SagaRecovery>();
        services.TryAddSingleton<ExecutionEventPublisher>();
        services.TryAddSingleton<SagaEngine>();
        services.TryAddSingleton<ISagaEngine>(sp => sp.GetRequiredService<SagaEngine>());
        services.TryAddSingleton<ISagaLauncher>(sp => sp.GetRequiredService<SagaEngine>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWalRetentionHold, SagaStore>(sp => sp.GetRequiredService<SagaStore>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWalRetentionHold, ExecutionEventPublisher>(sp => sp.GetRequiredService<ExecutionEventPublisher>()));
        services.TryAddSingleton<IdempotencyKeys>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRecoveryParticipant, IdempotencyKeys>(sp => sp.GetRequiredService<IdempotencyKeys>()));
        services.TryAddSingleton<IIntentIntake, IntentIntake>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SagaEngineHost>());
        return services;
    }

    // Saga leases only where the log is shared between hosts (the executor owns and disposes them).
    private static SagaOwnership? OwnershipFor(IServiceProvider services) =>
        services.GetRequiredService<IWriteAheadLog>() is ISharedWriteAheadLog shared ? ActivatorUtilities.CreateInstance<SagaOwnership>(services, shared) : null;

    /// <summary>Runs the engine's recovery when the host starts and stops it when the host stops.</summary>
    private sealed class SagaEngineHost(SagaEngine engine) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
    }
}
