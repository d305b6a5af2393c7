using System.Text;
using Symphainy.Blobs;
using Symphainy.Sagas;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// The content realm's steps, for any orchestrator to run as its own recorded steps: the content realm's
/// orchestrators use them, and so does <c>outcomes.generate_report</c>, which ingests its files in its own saga.
/// Static and stateless: every call goes through <see cref="SagaContext"/>, so it is recorded and replayed.
/// </summary>
public static class ContentSteps
{
    /// <summary>
    /// Ingests one file: reads it from the blob store when it was uploaded (a step: the read happens once, and replay
    /// returns what was read), then parses it with the service its extension names.
    /// </summary>
    /// <param name="saga">The saga.</param>
    /// <param name="file">The file.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="SymphainyException"><c>content.invalid_source</c>, <c>content.invalid_file</c>.</exception>
    public static async Task<ParsedDocument> IngestAsync(SagaContext saga, SourceFile file)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(file);
        if (string.IsNullOrWhiteSpace(file.Name) || (file.Content is null) == (file.Blob is null))
        {
            throw new SymphainyException(ContentErrors.InvalidSource, $"Source file '{file.Name}' must give either its content or a blob reference.");
        }

        var name = file.Name;
        var text = file.Content ?? await saga.Step($"content.read:{name}", async (IBlobStore blobs) =>
            Encoding.UTF8.GetString(await blobs.ReadVerifiedAsync(saga.Tenant, file.Blob!, saga.CancellationToken).ConfigureAwait(false))).ConfigureAwait(true);
        return KindOf(name) switch
        {
            "csv" => await saga.Step($"content.parse:{name}", (CsvParser s) => s.Parse(name, text)).ConfigureAwait(true),
            "markdown" => await saga.Step($"content.parse:{name}", (MarkdownSectioner s) => s.Parse(name, text)).ConfigureAwait(true),
            "json" => await saga.Step($"content.parse:{name}", (JsonFlattener s) => s.Parse(name, text)).ConfigureAwait(true),
            "text" => await saga.Step($"content.parse:{name}", (TextChunker s) => s.Parse(name, text)).ConfigureAwait(true),
            _ => throw new SymphainyException(ContentErrors.InvalidFile, $"'{name}': only .csv, .txt, .md and .json files can be ingested."),
        };
    }

    /// <summary>Ingests files, one after the other, in the order given.</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="files">The files.</param>
    /// <returns>The parsed files, in the same order.</returns>
    public static async Task<IReadOnlyList<ParsedDocument>> IngestAllAsync(SagaContext saga, IReadOnlyList<SourceFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var documents = new List<ParsedDocument>(files.Count);
        foreach (var file in files)
        {
            documents.Add(await IngestAsync(saga, file).ConfigureAwait(true));
        }

        return documents;
    }

    /// <summary>How a file is parsed, from its extension: <c>csv</c>, <c>markdown</c>, <c>json</c>, <c>text</c>, or null.</summary>
    /// <param name="name">The file's name.</param>
    /// <returns>The kind, or null for an extension the realm does not read.</returns>
    public static string? KindOf(string name) => Path.GetExtension(name).ToUpperInvariant() switch
    {
        ".CSV" => "csv",
        ".MD" or ".MARKDOWN" => "markdown",
        ".JSON" => "json",
        ".TXT" or ".TEXT" => "text",
        _ => null,
    };
}
