using System.Globalization;
using System.Text.Json;
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

/// <summary>The kind of value a fact of a <see cref="FactSchema"/> carries.</summary>
public enum FactValueKind
{
    /// <summary>A JSON string.</summary>
    Text,

    /// <summary>A JSON number.</summary>
    Number,

    /// <summary>A JSON integer (no fraction) that fits 64 bits.</summary>
    WholeNumber,

    /// <summary>JSON <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A JSON string holding an ISO 8601 date (<c>2026-03-01</c>) or date and time with an offset.</summary>
    Date,

    /// <summary>A JSON object with at least the schema's <see cref="FactSchema.RequiredFields"/>.</summary>
    Record,
}

/// <summary>
/// A schema of facts agents may extract: its name, the kind of its value, what it means, and where facts of it may come
/// from. Registered with <see cref="LibrarianSymphainyBuilderExtensions.AddFactSchema"/>; the Librarian checks every fact
/// that names it where the fact enters an agent's artifact.
/// </summary>
/// <param name="Name">Its name, which facts give as their schema: letters, digits, '_', '.' and '-'.</param>
/// <param name="ValueKind">The kind of value its facts carry.</param>
/// <param name="Description">What its facts state, for the model extracting them.</param>
public sealed record FactSchema(string Name, FactValueKind ValueKind, string Description)
{
    /// <summary>For <see cref="FactValueKind.Record"/>: the properties a value must have (not null).</summary>
    public IReadOnlyList<string> RequiredFields { get; init; } = [];

    /// <summary>
    /// The knowledge sources (names given to <c>AddKnowledgeSource</c>) facts of this schema may come from; null for any
    /// source, other tools' too. When set, a fact must come from one of them, and its tenant must be allowed to read it.
    /// </summary>
    public IReadOnlySet<string>? Sources { get; init; }

    /// <summary>
    /// The provenances (<see cref="KnowledgeSource.Provenance"/>) accepted for facts of this schema; null for any. When
    /// set, a fact must come from a knowledge source the tenant may read with one of these provenances.
    /// </summary>
    public IReadOnlySet<string>? Provenances { get; init; }

    /// <summary>The tenants whose agents may use it; null for every tenant. For another tenant the schema is unknown.</summary>
    public IReadOnlySet<TenantId>? Tenants { get; init; }
}

/// <summary>
/// The Librarian: the registry of knowledge sources and fact schemas, with provenance and access rules. Agents' fact-gathering tools go
/// through it: it gives an agent working for a tenant one read-only tool per source that tenant may read, and every
/// passage it returns names its source as <c>{source}:{reference}</c>, so each fact an agent extracts carries its
/// provenance. Each consultation is logged (event 720). As the agents' <see cref="IFactPolicy"/>, it offers the tenant's
/// fact schemas to the extracting model and rejects a fact that names an unknown schema
/// (<c>librarian.unknown_fact_schema</c>), carries a value not of its schema's kind
/// (<c>librarian.invalid_fact_value</c>) or comes from a source its schema does not accept
/// (<c>librarian.fact_source_not_allowed</c>); a fact that names no schema is a plain statement and passes. Rejections
/// are logged (event 721).
/// </summary>
public sealed partial class Librarian : IAgentToolSource, IFactPolicy
{
    private readonly KnowledgeSource[] _sources;
    private readonly Dictionary<string, FactSchema> _schemas;
    private readonly ILogger _logger;

    /// <summary>Creates the Librarian over the registered sources and fact schemas.</summary>
    /// <param name="sources">The sources.</param>
    /// <param name="schemas">The fact schemas.</param>
    /// <param name="logger">Where consultations and rejected facts are logged.</param>
    public Librarian(IEnumerable<KnowledgeSource> sources, IEnumerable<FactSchema> schemas, ILogger<Librarian> logger)
    {
        ArgumentNullException.ThrowIfNull(schemas);
        _sources = [.. sources];
        _schemas = [];
        foreach (var schema in schemas)
        {
            if (!_schemas.TryAdd(schema.Name, schema))
            {
                throw new ArgumentException($"Fact schema '{schema.Name}' is registered twice.", nameof(schemas));
            }
        }

        _logger = logger;
    }

    /// <summary>Every registered fact schema.</summary>
    public IReadOnlyCollection<FactSchema> Schemas => _schemas.Values;

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

    /// <summary>The fact schemas <paramref name="tenant"/> may use.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>Its schemas.</returns>
    public IEnumerable<FactSchema> SchemasOf(TenantId tenant) => _schemas.Values.Where(s => s.Tenants is null || s.Tenants.Contains(tenant));

    /// <inheritdoc/>
    public IEnumerable<FactSchemaInfo> SchemasFor(TenantId tenant) =>
        SchemasOf(tenant).Select(s => new FactSchemaInfo(s.Name, $"{s.Description} (value: {Describe(s)})"));

    /// <inheritdoc/>
    public FactRejection? Check(TenantId tenant, Fact fact)
    {
        ArgumentNullException.ThrowIfNull(fact);
        var rejection = Judge(tenant, fact);
        if (rejection is not null)
        {
            LogRejected(_logger, fact.Id, fact.Schema ?? "", fact.Source, tenant, rejection.Code.Code);
        }

        return rejection;
    }

    private FactRejection? Judge(TenantId tenant, Fact fact)
    {
        if (fact.Schema is null)
        {
            return null; // a plain statement: no schema to hold it to
        }

        if (!_schemas.TryGetValue(fact.Schema, out var schema) || (schema.Tenants is not null && !schema.Tenants.Contains(tenant)))
        {
            return new FactRejection(SmartCityErrorCodes.UnknownFactSchema, $"there is no fact schema '{fact.Schema}' for this tenant (known: {string.Join(", ", SchemasOf(tenant).Select(s => s.Name))})");
        }

        if (!Fits(schema, fact.Value, out var wrong))
        {
            return new FactRejection(SmartCityErrorCodes.InvalidFactValue, $"schema '{schema.Name}' takes {Describe(schema)}; {wrong}");
        }

        if (schema.Sources is null && schema.Provenances is null)
        {
            return null;
        }

        var separator = fact.Source.IndexOf(':', StringComparison.Ordinal);
        var source = separator > 0 ? SourcesFor(tenant).FirstOrDefault(s => string.Equals(s.Name, fact.Source[..separator], StringComparison.Ordinal)) : null;
        var allowed = source is not null
            && (schema.Sources is null || schema.Sources.Contains(source.Name))
            && (schema.Provenances is null || schema.Provenances.Contains(source.Provenance));
        return allowed ? null : new FactRejection(SmartCityErrorCodes.FactSourceNotAllowed,
            $"schema '{schema.Name}' accepts facts from {Accepted(schema)} only, and '{fact.Source}' is {(source is null ? "no knowledge source this tenant may read" : $"from '{source.Name}' ({source.Provenance})")}");
    }

    private static bool Fits(FactSchema schema, JsonElement? value, out string wrong)
    {
        if (value is not { } v || v.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            wrong = "the fact has no value";
            return false;
        }

        var fits = schema.ValueKind switch
        {
            FactValueKind.Text => v.ValueKind == JsonValueKind.String,
            FactValueKind.Number => v.ValueKind == JsonValueKind.Number,
            FactValueKind.WholeNumber => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
            FactValueKind.Boolean => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
            FactValueKind.Date => v.ValueKind == JsonValueKind.String && IsDate(v.GetString()!),
            FactValueKind.Record => v.ValueKind == JsonValueKind.Object,
            _ => false,
        };
        if (!fits)
        {
            wrong = $"its value is {Shorten(v.GetRawText())}";
            return false;
        }

        var missing = schema.ValueKind == FactValueKind.Record
            ? schema.RequiredFields.Where(f => !v.TryGetProperty(f, out var field) || field.ValueKind == JsonValueKind.Null).ToList()
            : [];
        wrong = missing.Count == 0 ? "" : $"its value lacks {string.Join(", ", missing.Select(f => $"'{f}'"))}";
        return missing.Count == 0;
    }

    private static bool IsDate(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
        || (text.Length > 10 && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _));

    private static string Describe(FactSchema schema) => schema.ValueKind switch
    {
        FactValueKind.Text => "a JSON string",
        FactValueKind.Number => "a JSON number",
        FactValueKind.WholeNumber => "a JSON integer",
        FactValueKind.Boolean => "true or false",
        FactValueKind.Date => "an ISO 8601 date as a JSON string, such as \"2026-03-01\"",
        _ => schema.RequiredFields.Count == 0 ? "a JSON object" : $"a JSON object with {string.Join(", ", schema.RequiredFields.Select(f => $"\"{f}\""))}",
    };

    private static string Accepted(FactSchema schema) =>
        string.Join(" with ", new[]
        {
            schema.Sources is null ? null : $"knowledge sources {string.Join(", ", schema.Sources.Order(StringComparer.Ordinal))}",
            schema.Provenances is null ? null : $"provenance {string.Join(" or ", schema.Provenances.Order(StringComparer.Ordinal).Select(p => $"'{p}'"))}",
        }.Where(p => p is not null));

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    [LoggerMessage(720, LogLevel.Information, "Librarian: knowledge source {Source} consulted for tenant {Tenant}: {Count} passages")]
    private static partial void LogConsulted(ILogger logger, string source, TenantId tenant, int count);

    [LoggerMessage(721, LogLevel.Warning, "Librarian: fact {Fact} of schema '{Schema}' from {FactSource} rejected for tenant {Tenant}: {Code}")]
    private static partial void LogRejected(ILogger logger, string fact, string schema, string factSource, TenantId tenant, string code);
}

/// <summary>Registers knowledge sources and fact schemas with the Librarian.</summary>
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

    /// <summary>
    /// Registers a fact schema: facts agents extract may name it, and the Librarian holds each fact that does to its
    /// value kind and accepted sources where the fact enters the agent's artifact.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="schema">The schema.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddFactSchema(this ISymphainyBuilder builder, FactSchema schema)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(schema);
        if (string.IsNullOrEmpty(schema.Name) || schema.Name.Length > 64 || !schema.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new ArgumentException("A fact schema's name is 1 to 64 letters, digits, '_', '.' or '-'.", nameof(schema));
        }

        if (!Enum.IsDefined(schema.ValueKind))
        {
            throw new ArgumentException($"Fact schema '{schema.Name}' has no value kind {(int)schema.ValueKind}.", nameof(schema));
        }

        if (schema.RequiredFields.Count > 0 && schema.ValueKind != FactValueKind.Record)
        {
            throw new ArgumentException($"Fact schema '{schema.Name}' names required fields, which only a value of kind Record has.", nameof(schema));
        }

        builder.Services.AddSingleton(schema);
        return builder;
    }
}
