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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ProjectorHost>());
        return builder;
    }

    /// <summary>
    /// Registers orchestrator <typeparamref name="TOrchestrator"/> as capability <paramref name="name"/> of
    /// <paramref name="realm"/>: its saga definition, and what the Curator tells about it (input and output schemas
    /// are derived from the orchestrator's types).
    /// </summary>
    /// <typeparam name="TOrchestrator">An <see cref="Orchestrator{TInput, TOutput}"/>.</typeparam>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="name">The capability's name, the intent type that asks for it.</param>
    /// <param name="realm">The owning realm.</param>
    /// <param name="description">What it does, for a person.</param>
    /// <param name="version">Its version, from 1.</param>
    /// <param name="determinism">Whether the same input gives the same output.</param>
    /// <param name="idempotent">Whether running it twice equals running it once.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddCapability<TOrchestrator>(
        this ISymphainyBuilder builder,
        string name,
        string realm,
        string description,
        int version = 1,
        Determinism determinism = Determinism.NonDeterministic,
        bool idempotent = false)
        where TOrchestrator : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFoundations();
        builder.AddSaga<TOrchestrator>(name, version);
        builder.Services.AddSingleton(new CapabilityRegistration(name, version, realm, description, determinism, idempotent));
        return builder;
    }

    private sealed class ProjectorHost(StateGraphProjector projector) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => projector.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => projector.StopAsync(cancellationToken);
    }
}
