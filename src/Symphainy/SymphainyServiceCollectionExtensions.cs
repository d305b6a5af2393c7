using Symphainy.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one call a host makes: <c>services.AddSymphainy()</c>.</summary>
public static class SymphainyServiceCollectionExtensions
{
    /// <summary>
    /// Adds Symphainy with every plane on the embedded defaults (file write-ahead log, SQLite state graph and
    /// in-memory hot state under the data directory; agents on the deterministic local chat client), after letting <paramref name="configure"/> add realms,
    /// choose providers or register services of your own. A host's choice wins: a port, clock, randomness source,
    /// capability resolver or session registry the host registers (before this call, in <paramref name="configure"/>
    /// or after it) or a provider package chooses (in <paramref name="configure"/> or on the returned builder) is
    /// used instead of the default. Safe to call more than once: each plane registers once.
    /// Settings bind from the <c>Symphainy</c> configuration section and are validated when the host starts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Optional further configuration of the platform.</param>
    /// <returns>The builder, to keep configuring.</returns>
    public static ISymphainyBuilder AddSymphainy(this IServiceCollection services, Action<ISymphainyBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new SymphainyBuilder(services);
        configure?.Invoke(builder);
        builder.AddRuntime();
        builder.AddFoundations();
        builder.AddSqliteStateGraphAsDefault();
        Symphainy.Agents.AgentSymphainyBuilderExtensions.AddAgents(builder);
        return builder;
    }
}
