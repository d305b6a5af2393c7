namespace Symphainy.PublicWorks.Arango;

/// <summary>The error codes of the ArangoDB provider. Each <see cref="ArangoException"/> also carries Arango's own numbers.</summary>
public static class ArangoErrorCodes
{
    /// <summary>The server could not be reached, or answered 503 Service Unavailable on every try.</summary>
    public static readonly ErrorCode Unavailable = new(
        "arango.unavailable", ErrorKind.Platform, isRetryable: true,
        "The ArangoDB server could not be reached, or answered 503 Service Unavailable on every try. Nothing the failed call wrote was committed as a whole; retry it once the server is back.");

    /// <summary>A request took longer than <c>Symphainy:Arango:RequestTimeout</c>.</summary>
    public static readonly ErrorCode Timeout = new(
        "arango.timeout", ErrorKind.Platform, isRetryable: true,
        "A request to ArangoDB took longer than Symphainy:Arango:RequestTimeout. Its transaction may or may not have been committed; every write of the graph is idempotent, so retrying it is safe.");

    /// <summary>A write-write conflict (errorNum 1200) persisted through every retry.</summary>
    public static readonly ErrorCode Conflict = new(
        "arango.conflict", ErrorKind.Platform, isRetryable: true,
        "ArangoDB reported a write-write conflict (errorNum 1200) on every try: other writers change the same documents. The write was not committed; retry it.");

    /// <summary>The server refused the credentials or the user lacks a permission (401 or 403).</summary>
    public static readonly ErrorCode Unauthorized = new(
        "arango.unauthorized", ErrorKind.Platform, isRetryable: false,
        "ArangoDB refused the credentials (401) or the user lacks a permission (403). Check Symphainy:Arango:User and Password (or BearerToken) and the user's rights on the database.");

    /// <summary>The server answered with any other error; the exception holds its HTTP status and errorNum.</summary>
    public static readonly ErrorCode RequestFailed = new(
        "arango.request_failed", ErrorKind.Platform, isRetryable: false,
        "ArangoDB answered a request with an error; the message holds the HTTP status, Arango's errorNum and errorMessage. Look the errorNum up in ArangoDB's error list.");

    /// <summary>The server's answer is not the JSON its HTTP API documents.</summary>
    public static readonly ErrorCode BadResponse = new(
        "arango.bad_response", ErrorKind.Platform, isRetryable: false,
        "ArangoDB (or a proxy in front of it) answered with something other than the JSON its HTTP API documents. Check that Symphainy:Arango:Url points at an ArangoDB server of a supported version.");
}
