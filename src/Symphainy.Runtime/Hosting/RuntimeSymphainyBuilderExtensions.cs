using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphainy;
using Symphainy.Configuration;
using Symphainy.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Runtime plane.</summary>
public static class RuntimeSymphainyBuilderExtensions
{
    /// <summary>
    /// Adds the Runtime: clock (<see cref="TimeProvider.System"/>), randomness, id generation, the write-ahead log,
    /// the in-memory state surface, sessions, intake and the saga engine, and <see cref="SymphainyOptions"/> bound from
    /// the <c>Symphainy</c> configuration section and validated when the host starts. Safe to call more than once. The
    /// ports, the clock, randomness, the capability resolver and sessions are registered as defaults
    /// (<see cref="ServiceSlots.AddDefault"/>): one the host registers, before or after this call, or a provider package
    /// chooses (<see cref="ServiceSlots.Choose"/>) is used instead.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Optional code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddRuntime(this ISymphainyBuilder builder, Action<SymphainyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (builder.TryAddPlane("Runtime", "execution authority: write-ahead log, sessions, state surface, intake, saga engine, events", typeof(SymphainyOptions)))
        {
            AddRuntimeServices(services);
        }

        // After binding, so that code wins over configuration.
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    private static void AddRuntimeServices(IServiceCollection services)
    {
        services.AddOptions<SymphainyOptions>()
            .BindConfiguration(SymphainyOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SymphainyOptions>, AnnotatedOptionsValidator<SymphainyOptions>>());
        services.AddDefault(ServiceDescriptor.Singleton(TimeProvider.System));
        services.AddDefault(ServiceDescriptor.Singleton<IRandomSource>(SystemRandomSource.Instance));
        services.TryAddSingleton<IdGenerator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RuntimeLifecycle>());
        services.AddWriteAheadLog();
        services.AddStateSurface();
        services.AddSagaEngine();
    }
}
