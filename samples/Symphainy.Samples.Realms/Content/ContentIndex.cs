using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>Lists what parsed files offer (files, rows, passages) and retrieves facts by their provenance reference.</summary>
public sealed class ContentIndex : IRealmService
{
    /// <summary>Lists the artifacts of parsed files: each file, then each of its rows or passages.</summary>
    /// <param name="documents">The parsed files.</param>
    /// <returns>The artifacts, in file order.</returns>
    public IReadOnlyList<ContentArtifact> List(IReadOnlyList<ParsedDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var artifacts = new List<ContentArtifact>();
        foreach (var document in documents)
        {
            var shape = document.Table is { } table ? $"{table.Rows.Count} rows, {table.Columns.Count} columns" : $"{document.Chunks.Count} passages";
            artifacts.Add(new ContentArtifact(document.Name, "file", $"{document.Name} ({document.Kind}, {shape}, sha256 {document.Sha256[..12]})"));
            artifacts.AddRange(document.Facts.Select(f => new ContentArtifact(f.Source, document.Table is null ? "chunk" : "row", Shorten(f.Statement))));
        }

        return artifacts;
    }

    /// <summary>Retrieves facts by reference: a fact's source (<c>orders.csv#row=3</c>), or a file's name for all its facts.</summary>
    /// <param name="documents">The parsed files.</param>
    /// <param name="references">The references.</param>
    /// <returns>The facts found, and the references that name nothing.</returns>
    public RetrievedFacts Retrieve(IReadOnlyList<ParsedDocument> documents, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(references);
        var facts = new List<ContentFact>();
        var missing = new List<string>();
        foreach (var reference in references)
        {
            var found = documents.FirstOrDefault(d => d.Name == reference) is { } whole
                ? whole.Facts
                : [.. documents.SelectMany(d => d.Facts).Where(f => f.Source == reference)];
            if (found.Count == 0)
            {
                missing.Add(reference);
            }

            facts.AddRange(found);
        }

        return new RetrievedFacts(facts, missing);
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";
}
