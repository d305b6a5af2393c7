using System.ComponentModel.DataAnnotations;
using Symphainy.Configuration;

namespace Symphainy.PublicWorks.Arango;

/// <summary>Settings of the ArangoDB state graph, under <c>Symphainy:Arango</c>.</summary>
[OptionsSection(SectionName)]
public sealed class ArangoOptions
{
    /// <summary>The configuration section: <c>Symphainy:Arango</c>.</summary>
    public const string SectionName = "Symphainy:Arango";

    /// <summary>The server's HTTP endpoint, such as <c>http://localhost:8529</c> (a coordinator in a cluster). Required.</summary>
    [Required(ErrorMessage = "is required: the ArangoDB endpoint, such as http://localhost:8529")]
    [RegularExpression("^https?://[^\\s/?#]+/?$", ErrorMessage = "must be an http:// or https:// address with no path, such as http://localhost:8529")]
    public string Url { get; set; } = "";

    /// <summary>The database holding the graph; created at start when missing. Default <c>symphainy</c>.</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_-]{0,63}$", ErrorMessage = "must be 1 to 64 letters, digits, '_' or '-', starting with a letter")]
    public string Database { get; set; } = "symphainy";

    /// <summary>
    /// The user for HTTP basic authentication. Default <c>root</c>. Ignored when <see cref="BearerToken"/> is set. The user
    /// needs to create the database (or have it created) and read and write its collections.
    /// </summary>
    public string User { get; set; } = "root";

    /// <summary>The password of <see cref="User"/>. Default empty.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// A JWT sent as <c>Authorization: bearer ...</c> instead of basic authentication (a user token from
    /// <c>POST /_open/auth</c> or a superuser token signed with the server's JWT secret). Default empty: basic
    /// authentication.
    /// </summary>
    public string BearerToken { get; set; } = "";

    /// <summary>
    /// What the collections' names start with: <c>{prefix}nodes</c>, <c>{prefix}edges</c> and <c>{prefix}checkpoints</c>,
    /// so several deployments can share one database. Default <c>symphainy_</c>.
    /// </summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9_-]{0,40}$", ErrorMessage = "must be 1 to 41 letters, digits, '_' or '-', starting with a letter")]
    public string CollectionPrefix { get; set; } = "symphainy_";

    /// <summary>How long one HTTP request may take before it fails with <c>arango.timeout</c>. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "must be between 100 ms and 10 minutes")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a request (or a whole write transaction) is tried again after 503 Service Unavailable, a
    /// write-write conflict (errorNum 1200) or a failed connection. Default 5; 0 tries once.
    /// </summary>
    [Range(0, 20, ErrorMessage = "must be between 0 and 20")]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles with each further retry, up to 5 seconds. Default 200 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05", ErrorMessage = "must be between 0 and 5 seconds")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Documents per AQL cursor batch (<c>batchSize</c>) and per write query of a batch import. Default 1000.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "must be between 1 and 100,000")]
    public int BatchSize { get; set; } = 1000;
}
