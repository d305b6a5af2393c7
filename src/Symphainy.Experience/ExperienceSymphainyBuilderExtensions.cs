using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Experience;
using Symphainy.Hosting;
using Symphainy.SmartCity;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Experience plane: the REST and WebSocket delivery that <c>app.MapSymphainy()</c> maps.</summary>
public static class ExperienceSymphainyBuilderExtensions
{
    /// <summary>
    /// Adds the Experience plane (settings under <c>Symphainy:Experience</c>) and the Smart City it authenticates with
    /// (<see cref="SmartCitySymphainyBuilderExtensions.AddSmartCity"/>, added here when the host has not), plus the
    /// OpenAPI document. Map the routes with <c>app.MapSymphainy()</c>.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddExperience(this ISymphainyBuilder builder, Action<ExperienceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSmartCity();
        var services = builder.Services;
        if (builder.TryAddPlane("Experience", "delivers the platform over REST and WebSockets, authenticated by the Security Guard", typeof(ExperienceOptions)))
        {
            services.AddOptions<ExperienceOptions>().BindConfiguration(ExperienceOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ExperienceOptions>, AnnotatedOptionsValidator<ExperienceOptions>>());
            services.AddOpenApi();
            services.AddHealthChecks();
            services.TryAddSingleton<ExperienceMarker>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }
}
