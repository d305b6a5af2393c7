namespace Symphainy.Samples.Realms.Content;

/// <summary>The content realm's error codes.</summary>
public static class ContentErrors
{
    /// <summary>A file cannot be parsed as its extension says (the message names the file and the line).</summary>
    public static readonly ErrorCode InvalidFile = new(
        "content.invalid_file", ErrorKind.Domain, isRetryable: false,
        "A file cannot be parsed as its extension says: an unterminated quote or too many cells in a CSV row, invalid JSON, or an extension that is not .csv, .txt, .md or .json.");

    /// <summary>A source file gives both or neither of its inline content and a blob reference.</summary>
    public static readonly ErrorCode InvalidSource = new(
        "content.invalid_source", ErrorKind.Domain, isRetryable: false,
        "A source file must give either its content inline or the SHA-256 of a document stored in the blob store, not both and not neither.");
}
