using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Agents;
using Symphainy.Hosting;

namespace Symphainy.SmartCity;

/// <summary>
/// A source of knowledge agents may consult: what it is, where its content comes from (provenance), who may read it,
/// and how it is searched. Registered with <see cref="LibrarianSymphainyBuilderExtensions.AddKnowledgeSource"/>.
/// </summary>
/// <param name="Name">Its name: letters, digits and '_' (the agents' tool is <c>knowledge_{name}</c>).</param>
/// <param name="Description">What it holds, for the model choosing a tool.</param>
/// <param name="Provenance">Where its content comes from (a system, a document set, an owner), recorded with every fact.</param>
/// <param name="Search">Searches it for one tenant: passages with their source references.</param>
public sealed record KnowledgeSource(string Name, string Description, string Provenance, Func<TenantId, string, CancellationToken, Task<IReadOnlyList<AgentSource>>> Search)
{
    /// <summary>The tenants that may read it; null for every tenant.</summary>
    public IReadOnlySet<TenantId>? Tenants { get; init; }
}

/// <summary>
/// The Librarian: the registry of knowledge sources, with provenance and access rules. Agents' fact-gathering tools go
/// through it: it gives an agent working for a tenant one read-only tool per source that tenant may read, and every
/// passage it returns names its source as <c>{source}:{reference}</c>, so each fact an agent extracts carries its
/// provenance. Each consultation is logged (event 720).
/// </summary>
public sealed partial class Librarian : IAgentToolSource
{
    private readonly KnowledgeSource[] _sources;
    private readonly ILogger _logger;

    /// <summary>Creates the Librarian over the registered sources.</summary>
    /// <param name="sources">The sources.</param>
    /// <param name="logger">Where consultations are logged.</param>
    public Librarian(IEnumerable<KnowledgeSource> sources, ILogger<Librarian> logger)
    {
        _sources = [.. sources];
        _logger = logger;
    }

    /// <summary>Every registered source.</summary>
    public IReadOnlyList<KnowledgeSource> Sources => _sources;

    /// <summary>The sources <paramref name="tenant"/> may read.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>Its sources.</returns>
    public IEnumerable<KnowledgeSource> SourcesFor(TenantId tenant) => _sources.Where(s => s.Tenants is null || s.Tenants.Contains(tenant));

    /// <inheritdoc/>
    public IEnumerable<AIFunction> ToolsFor(TenantId tenant, SessionId? session) =>
        SourcesFor(tenant).Select(source => AIFunctionFactory.Create(
            async (string query, CancellationToken cancellationToken) =>
            {
                var found = await source.Search(tenant, query, cancellationToken).ConfigureAwait(false);
                LogConsulted(_logger, source.Name, tenant, found.Count);
                return found.Select(item => new AgentSource($"{source.Name}:{item.Source}", item.Text)).ToList();
            },
            $"knowledge_{source.Name}",
            $"{source.Description} (provenance: {source.Provenance})"));

    [LoggerMessage(720, LogLevel.Information, "Librarian: knowledge source {Source} consulted for tenant {Tenant}: {Count} passages")]
    private static partial void LogConsulted(ILogger logger, string source, TenantId tenant, int count);
}

/// <summary>Registers knowledge sources with the Librarian.</summary>
public static class LibrarianSymphainyBuilderExtensions
{
    /// <summary>Registers a knowledge source; agents reach it through the Librarian's tools.</summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="source">The source.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddKnowledgeSource(this ISymphainyBuilder builder, KnowledgeSource source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        if (string.IsNullOrEmpty(source.Name) || source.Name.Length > 48 || !source.Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("A knowledge source's name is 1 to 48 letters, digits or '_'.", nameof(source));
        }

        builder.Services.AddSingleton(source);
        return builder;
    }
}
