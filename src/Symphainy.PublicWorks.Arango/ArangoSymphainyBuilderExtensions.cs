using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Hosting;
using Symphainy.PublicWorks.Arango;
using Symphainy.State;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ArangoDB state graph.</summary>
public static class ArangoSymphainyBuilderExtensions
{
    /// <summary>The name of the graph's client in <c>IHttpClientFactory</c>.</summary>
    public const string HttpClientName = "symphainy-arango";

    // One instance, so that choosing twice registers the choice once.
    private static readonly ServiceDescriptor Choice = ServiceDescriptor.Singleton<IStateGraph>(sp => sp.GetRequiredService<ArangoStateGraph>());

    /// <summary>
    /// Chooses ArangoDB (<c>Symphainy:Arango:*</c>) as the durable <see cref="IStateGraph"/>, in place of any plane's
    /// default graph (the Runtime's in-memory one, the meta-package's SQLite one) whether called before or after them.
    /// An <see cref="IStateGraph"/> the host registers after this call still wins. Adds Foundations (and its projector,
    /// which fills the graph from the write-ahead log and keeps its checkpoint in the same database), a
    /// <c>symphainy-arango</c> health check, and a start step that creates the database, collections and indexes where
    /// missing, so that a server the host cannot use stops the start. Safe to call twice.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Optional code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseArangoStateGraph(this ISymphainyBuilder builder, Action<ArangoOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFoundations();
        var services = builder.Services;
        if (builder.TryAddPlane("PublicWorks.Arango", "durable state graph on ArangoDB", typeof(ArangoStateGraph)))
        {
            services.AddOptions<ArangoOptions>().BindConfiguration(ArangoOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ArangoOptions>, AnnotatedOptionsValidator<ArangoOptions>>());
            services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
            services.TryAddSingleton(sp => new ArangoStateGraph(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                sp.GetRequiredService<IOptions<ArangoOptions>>().Value,
                sp.GetService<TimeProvider>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ArangoStartup>());
            services.AddHealthChecks().AddCheck<ArangoHealthCheck>("symphainy-arango", tags: ["symphainy", "arango"]);
        }

        services.Choose(Choice);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    /// <summary>Creates the database, collections and indexes when the host starts, if the chosen graph is this one.</summary>
    private sealed class ArangoStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            services.GetRequiredService<IStateGraph>() is ArangoStateGraph graph ? graph.EnsureCreatedAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
