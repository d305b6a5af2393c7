using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;

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
        services.TryAddSingleton<SagaEngine>();
        services.TryAddSingleton<ISagaEngine>(sp => sp.GetRequiredService<SagaEngine>());
        services.AddSingleton<IWalRetentionHold>(sp => sp.GetRequiredService<SagaEngine>());
        services.TryAddSingleton<IIntentIntake, IntentIntake>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SagaEngineHost>());
        return services;
    }

    /// <summary>Runs the engine's recovery when the host starts and stops it when the host stops.</summary>
    private sealed class SagaEngineHost(SagaEngine engine) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
    }
}
