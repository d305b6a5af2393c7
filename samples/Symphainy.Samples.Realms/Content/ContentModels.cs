namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// A file given to the content realm: its name (the extension says how it is parsed: <c>.csv</c>, <c>.txt</c>,
/// <c>.md</c>, <c>.json</c>) and either its text inline (small files) or the SHA-256 of a document the tenant stored
/// in the blob store beforehand (large files: the intent then carries a reference, not the content).
/// </summary>
/// <param name="Name">The file's name, used in every provenance reference (<c>orders.csv#row=3</c>).</param>
/// <param name="Content">The file's text, when given inline.</param>
/// <param name="Blob">The SHA-256 of the stored document, when it was uploaded to the blob store.</param>
public sealed record SourceFile(string Name, string? Content = null, string? Blob = null);

/// <summary>A table parsed from a file: its header and its data rows.</summary>
/// <param name="Columns">The column names, in file order.</param>
/// <param name="Rows">The data rows, in file order.</param>
public sealed record ParsedTable(IReadOnlyList<string> Columns, IReadOnlyList<TableRow> Rows);

/// <summary>A data row of a table.</summary>
/// <param name="Number">The row's number among the data rows, from 1 (the header is not counted).</param>
/// <param name="Line">The line of the file the row starts on, from 1 (a quoted field may span lines).</param>
/// <param name="Cells">One cell per column; an empty string is a missing value.</param>
public sealed record TableRow(int Number, int Line, IReadOnlyList<string> Cells);

/// <summary>A passage of a text file.</summary>
/// <param name="Index">The chunk's number, from 1.</param>
/// <param name="FirstLine">The first line it covers, from 1.</param>
/// <param name="LastLine">The last line it covers.</param>
/// <param name="Heading">The heading it sits under (Markdown), or empty.</param>
/// <param name="Text">Its text.</param>
public sealed record TextChunk(int Index, int FirstLine, int LastLine, string Heading, string Text);

/// <summary>A statement about a file's content and exactly where in the file it comes from.</summary>
/// <param name="Source">The provenance: <c>{file}#row={n}</c> for a table row, <c>{file}#chunk={n};lines={a}-{b}</c> for a passage.</param>
/// <param name="Statement">What the file says there.</param>
public sealed record ContentFact(string Source, string Statement);

/// <summary>A parsed file: a table (CSV, or JSON holding an array of objects) or text chunks, and its facts.</summary>
/// <param name="Name">The file's name.</param>
/// <param name="Kind">How it was parsed: <c>csv</c>, <c>text</c>, <c>markdown</c> or <c>json</c>.</param>
/// <param name="Sha256">The SHA-256 of its UTF-8 text: which version of the file the facts describe.</param>
/// <param name="Table">The table, when the file is tabular.</param>
/// <param name="Chunks">The text chunks, when the file is text.</param>
/// <param name="Facts">One fact per row or chunk, with its provenance.</param>
public sealed record ParsedDocument(string Name, string Kind, string Sha256, ParsedTable? Table, IReadOnlyList<TextChunk> Chunks, IReadOnlyList<ContentFact> Facts);

/// <summary>Something the content realm produced that can be retrieved by reference: a file, a table row, a passage.</summary>
/// <param name="Reference">The reference to retrieve it by (a fact's source, or the file's name).</param>
/// <param name="Kind">What it is: <c>file</c>, <c>row</c> or <c>chunk</c>.</param>
/// <param name="Title">A one-line description.</param>
public sealed record ContentArtifact(string Reference, string Kind, string Title);

/// <summary>The input of <c>content.ingest</c>: the files to ingest.</summary>
/// <param name="Files">The files.</param>
public sealed record IngestRequest(IReadOnlyList<SourceFile> Files);

/// <summary>The output of <c>content.ingest</c>: every file parsed, and the artifacts that can be retrieved from them.</summary>
/// <param name="Documents">The parsed files, in input order.</param>
/// <param name="Artifacts">The artifacts, in input order.</param>
public sealed record IngestedContent(IReadOnlyList<ParsedDocument> Documents, IReadOnlyList<ContentArtifact> Artifacts);

/// <summary>The input of <c>content.retrieve</c>: files, and the references to retrieve from them.</summary>
/// <param name="Files">The files.</param>
/// <param name="References">References such as <c>orders.csv#row=3</c>, or a file's name for all its facts.</param>
public sealed record RetrieveRequest(IReadOnlyList<SourceFile> Files, IReadOnlyList<string> References);

/// <summary>The output of <c>content.retrieve</c>.</summary>
/// <param name="Facts">The facts found, in the order of the references asked for.</param>
/// <param name="Missing">The references that name nothing.</param>
public sealed record RetrievedFacts(IReadOnlyList<ContentFact> Facts, IReadOnlyList<string> Missing);
