using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Hosting;
using Symphainy.Projection;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.State;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>How a host chooses the ArangoDB graph, and what its start and health check ask the server.</summary>
public sealed class ArangoRegistrationTests : IAsyncLifetime, IDisposable
{
    private readonly DirectoryInfo _contentRoot = Directory.CreateTempSubdirectory("symphainy-arango-");
    private FakeArangoServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeArangoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _contentRoot.Delete(recursive: true);

    private HostApplicationBuilder NewBuilder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _contentRoot.FullName });
        builder.Configuration.AddInMemoryCollection(settings ?? new() { ["Symphainy:Arango:Url"] = _server.Url, ["Symphainy:Arango:Password"] = "secret" });
        builder.Logging.ClearProviders();
        return builder;
    }

    [Theory]
    [InlineData("inside AddSymphainy")]
    [InlineData("after AddSymphainy")]
    [InlineData("before AddSymphainy")]
    public void The_arango_graph_wins_over_the_sqlite_default_whatever_the_order_and_registers_once(string order)
    {
        var builder = NewBuilder();
        switch (order)
        {
            case "inside AddSymphainy":
                builder.Services.AddSymphainy(b => b.UseArangoStateGraph().UseArangoStateGraph());
                break;
            case "after AddSymphainy":
                builder.Services.AddSymphainy().UseArangoStateGraph().UseArangoStateGraph();
                break;
            default:
                new SymphainyBuilder(builder.Services).UseArangoStateGraph();
                builder.Services.AddSymphainy();
                break;
        }

        var registration = builder.Services.Where(d => d.ServiceType == typeof(IStateGraph)).Should().ContainSingle().Subject;
        builder.Services.IsDefault(registration).Should().BeFalse("it is an explicit choice");
        using var host = builder.Build();
        var graph = host.Services.GetRequiredService<IStateGraph>();
        graph.Should().BeSameAs(host.Services.GetRequiredService<ArangoStateGraph>());
        graph.Should().BeAssignableTo<IProjectionCheckpoints>("the projector keeps its checkpoint in the same database");
    }

    [Fact]
    public void A_graph_the_host_registers_after_the_choice_still_wins()
    {
        var builder = NewBuilder();
        var mine = new InMemoryStateGraph();
        builder.Services.AddSymphainy(b => b.UseArangoStateGraph());
        builder.Services.AddSingleton<IStateGraph>(mine);
        using var host = builder.Build();

        host.Services.GetRequiredService<IStateGraph>().Should().BeSameAs(mine);
    }

    [Fact]
    public void Choosing_sqlite_after_arango_makes_sqlite_the_graph()
    {
        var builder = NewBuilder();
        builder.Services.AddSymphainy(b => b.UseArangoStateGraph().UseSqliteStateGraph());
        using var host = builder.Build();

        host.Services.GetRequiredService<IStateGraph>().Should().BeOfType<SqliteStateGraph>("the last choice wins");
    }

    [Fact]
    public async Task A_host_without_the_url_refuses_to_start_naming_the_setting()
    {
        var builder = NewBuilder([]);
        builder.Services.AddSymphainy(b => b.UseArangoStateGraph());
        using var host = builder.Build();

        var act = () => host.StartAsync();

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("Symphainy:Arango:Url");
    }

    [Fact]
    [Trait("Category", "Protocol")]
    public async Task Starting_the_host_creates_the_graphs_collections_and_the_health_check_asks_the_server()
    {
        var builder = NewBuilder();
        builder.Services.AddSymphainy(b => b.UseArangoStateGraph(o => o.CollectionPrefix = "started_"));
        using var host = builder.Build();

        await host.StartAsync();
        try
        {
            _server.Requests.Should().Contain(r => r.Path == "/_db/symphainy/_api/collection" && r.Json.GetProperty("name").GetString() == "started_edges");
            _server.Requests.Should().OnlyContain(r => r.Header("Authorization") == "Basic cm9vdDpzZWNyZXQ=", "root:secret from configuration");
            var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "symphainy-arango");
            report.Entries["symphainy-arango"].Status.Should().Be(HealthStatus.Healthy);
            report.Entries["symphainy-arango"].Description.Should().Contain("3.12.4");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    [Trait("Category", "Protocol")]
    public async Task The_health_check_is_unhealthy_when_the_server_refuses()
    {
        _server.Enqueue("GET", "/_api/version", Enumerable.Repeat(ArangoResponses.Unavailable, 3).ToArray());
        var graph = new ArangoStateGraph(new HttpClient(), _server.Options());
        var check = new ArangoHealthCheck(graph);
        var context = new HealthCheckContext { Registration = new HealthCheckRegistration("symphainy-arango", check, HealthStatus.Unhealthy, null) };

        var result = await check.CheckHealthAsync(context);

        result.Status.Should().Be(HealthStatus.Unhealthy);
        result.Description.Should().Contain("arango.unavailable");
    }
}
