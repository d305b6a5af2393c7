using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Hosting;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.State;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite state graph.</summary>
public static class SqliteSymphainyBuilderExtensions
{
    // One instance, so that choosing twice registers the choice once.
    private static readonly ServiceDescriptor Choice = ServiceDescriptor.Singleton<IStateGraph>(ResolveGraph);

    /// <summary>
    /// Chooses a SQLite file (<c>Symphainy:Sqlite:Path</c>, default <c>{DataDirectory}/state-graph.db</c>) as the durable
    /// <see cref="IStateGraph"/>, in place of any plane's default graph, whether called before or after them. An
    /// <see cref="IStateGraph"/> the host registers after this call still wins. Adds Foundations (and its projector,
    /// which fills the graph from the write-ahead log and keeps its checkpoint in the same file). Safe to call twice.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Optional code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseSqliteStateGraph(this ISymphainyBuilder builder, Action<SqliteStateGraphOptions>? configure = null)
    {
        AddSqlite(builder, configure);
        builder.Services.Choose(Choice);
        return builder;
    }

    /// <summary>
    /// Registers the SQLite state graph as the default <see cref="IStateGraph"/>, as the <c>Symphainy</c> meta-package
    /// does: it replaces the Runtime's in-memory default but gives way to a graph the host registers (before or after
    /// this call) or a provider package chooses. Otherwise as <see cref="UseSqliteStateGraph"/>.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Optional code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddSqliteStateGraphAsDefault(this ISymphainyBuilder builder, Action<SqliteStateGraphOptions>? configure = null)
    {
        AddSqlite(builder, configure);
        builder.Services.AddDefault(ServiceDescriptor.Singleton<IStateGraph>(ResolveGraph));
        return builder;
    }

    // The graph is the concrete singleton, so the projector finds its checkpoints (it is IProjectionCheckpoints).
    private static SqliteStateGraph ResolveGraph(IServiceProvider services) => services.GetRequiredService<SqliteStateGraph>();

    private static void AddSqlite(ISymphainyBuilder builder, Action<SqliteStateGraphOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFoundations();
        var services = builder.Services;
        if (builder.TryAddPlane("PublicWorks.Sqlite", "durable state graph in a SQLite file", typeof(SqliteStateGraph)))
        {
            services.AddOptions<SqliteStateGraphOptions>().BindConfiguration(SqliteStateGraphOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStateGraphOptions>, AnnotatedOptionsValidator<SqliteStateGraphOptions>>());
            services.TryAddSingleton(sp =>
            {
                var options = sp.GetRequiredService<IOptions<SqliteStateGraphOptions>>().Value;
                var path = DataPaths.UnderDataDirectory(sp.GetRequiredService<IOptions<SymphainyOptions>>().Value, sp.GetService<IHostEnvironment>(), options.Path);
                return new SqliteStateGraph(path, options.BusyTimeout);
            });
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }
    }
}
