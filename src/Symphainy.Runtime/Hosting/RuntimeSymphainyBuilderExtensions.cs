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
    /// Adds the Runtime: clock (<see cref="TimeProvider.System"/> unless one is registered), randomness,
    /// id generation and <see cref="SymphainyOptions"/> bound from the <c>Symphainy</c> configuration section
    /// and validated when the host starts. Safe to call more than once; every service can be replaced by
    /// registering your own first.
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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRandomSource>(SystemRandomSource.Instance);
        services.TryAddSingleton<IdGenerator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RuntimeLifecycle>());
        services.AddWriteAheadLog();
        services.AddStateSurface();
        services.AddSagaEngine();
    }
}
