using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphainy.Blobs;
using Symphainy.Capabilities;
using Symphainy.Configuration;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Foundations plane and capabilities.</summary>
public static class FoundationsSymphainyBuilderExtensions
{
    /// <summary>
    /// Adds Foundations: the <see cref="Curator"/> as the default capability resolver intake uses (in place of the
    /// Runtime's name-to-saga default; an <see cref="ICapabilityResolver"/> the host registers, before or after this
    /// call, or a provider package chooses, is used instead), the WAL-to-graph projector, and the file blob store under
    /// <c>{DataDirectory}/blobs</c>. Adds the Runtime if it is not there. Safe to call twice.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddFoundations(this ISymphainyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRuntime();
        if (!builder.TryAddPlane("Foundations", "Curator (capabilities, schemas), WAL-to-graph projector, blob IO", typeof(Curator)))
        {
            return builder;
        }

        var services = builder.Services;
        services.TryAddSingleton<Curator>();
        services.AddDefault(ServiceDescriptor.Singleton<ICapabilityResolver>(sp => sp.GetRequiredService<Curator>()));
        services.TryAddSingleton<IBlobStore>(sp => new FileBlobStore(DataPaths.UnderDataDirectory(
            sp.GetRequiredService<IOptions<SymphainyOptions>>().Value, sp.GetService<IHostEnvironment>(), "blobs")));
        services.TryAddSingleton<StateGraphProjector>();
        services.AddSingleton<IWalRetentionHold>(sp => sp.GetRequiredService<StateGraphProjector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProjectionProgress, StateGraphProjector>(sp => sp.GetRequiredService<StateGraphProjector>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProjectorHost>());
        return builder;
    }

    private sealed class ProjectorHost(StateGraphProjector projector) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => projector.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => projector.StopAsync(cancellationToken);
    }
}
