using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// The content realm: ingests CSV, plain text, Markdown and JSON files (inline, or by reference to the blob store),
/// parses them into tables and passages, and records every row and passage as a fact with its provenance.
/// </summary>
public sealed class ContentRealm : RealmManager
{
    /// <inheritdoc/>
    protected override void Register(RealmCatalog catalog) => catalog
        .Service<CsvParser>()
        .Service<TextChunker>()
        .Service<MarkdownSectioner>()
        .Service<JsonFlattener>()
        .Service<ContentIndex>()
        .Capability<IngestContent>("content.ingest", "Parses CSV, text, Markdown and JSON files into tables and passages, each row and passage a fact with its provenance, and lists the artifacts.")
        .Capability<RetrieveContent>("content.retrieve", "Parses files and returns the facts at the given provenance references (a row, a passage, or a whole file).");
}
