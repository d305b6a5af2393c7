using Microsoft.Extensions.Time.Testing;
using Symphainy.Conformance.State;
using Symphainy.State;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>
/// The shared <see cref="IStateGraph"/> conformance suite against a real ArangoDB server named by the environment:
/// <c>SYMPHAINY_ARANGO_URL</c> (such as <c>http://localhost:8529</c>), with <c>SYMPHAINY_ARANGO_USER</c> (default root)
/// and <c>SYMPHAINY_ARANGO_PASSWORD</c> (default empty). Without the URL every test reports itself skipped with the
/// reason. Each run uses a database of its own and drops it at the end.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class ArangoStateGraphConformanceTests(ArangoServerFixture server) : StateGraphConformance, IClassFixture<ArangoServerFixture>
{
    protected override async ValueTask<IStateGraph> CreateGraphAsync(FakeTimeProvider time)
    {
        Skip.If(ArangoServerFixture.Url is null, ArangoServerFixture.SkipReason);
        var graph = new ArangoStateGraph(server.Http, server.Options());
        await graph.EnsureCreatedAsync();
        return graph;
    }
}

/// <summary>A real server from the environment, and a database of this run's own, dropped at the end.</summary>
public sealed class ArangoServerFixture : IAsyncLifetime
{
    public const string SkipReason =
        "No ArangoDB server: set SYMPHAINY_ARANGO_URL (and SYMPHAINY_ARANGO_USER / SYMPHAINY_ARANGO_PASSWORD) to run the IStateGraph conformance suite against one.";

    public static string? Url => Environment.GetEnvironmentVariable("SYMPHAINY_ARANGO_URL") is { Length: > 0 } url ? url : null;

    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>This run's database.</summary>
    public string Database { get; } = $"symphainy_conformance_{Guid.NewGuid():N}";

    public ArangoOptions Options() => new()
    {
        Url = Url!,
        Database = Database,
        User = Environment.GetEnvironmentVariable("SYMPHAINY_ARANGO_USER") ?? "root",
        Password = Environment.GetEnvironmentVariable("SYMPHAINY_ARANGO_PASSWORD") ?? "",
    };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Url is not null)
        {
            var client = new ArangoClient(Http, Options(), TimeProvider.System);
            try
            {
                await client.SendAsync(HttpMethod.Delete, "_system", $"_api/database/{Database}", null, null, retry: true, CancellationToken.None);
            }
            catch (ArangoException e) when (e.ErrorNum == ArangoClient.DatabaseNotFoundErrorNum)
            {
                // No test got as far as creating it.
            }
        }

        Http.Dispose();
    }
}
