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
    /// <summary>
    /// Uses a SQLite file (<c>Symphainy:Sqlite:Path</c>, default <c>{DataDirectory}/state-graph.db</c>) as the durable
    /// <see cref="IStateGraph"/>, in place of the Runtime's in-memory graph. Adds Foundations (and its projector, which
    /// fills the graph from the write-ahead log). Safe to call twice.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Optional code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseSqliteStateGraph(this ISymphainyBuilder builder, Action<SqliteStateGraphOptions>? configure = null)
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
            services.Replace(ServiceDescriptor.Singleton<IStateGraph>(sp => sp.GetRequiredService<SqliteStateGraph>()));
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }
}
