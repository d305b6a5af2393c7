using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Hosting;

namespace Symphainy.Runtime.Tests.Configuration;

public sealed class SymphainyOptionsTests
{
    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        new SymphainyBuilder(builder.Services).AddRuntime();
        return builder.Build();
    }

    [Fact]
    public async Task Settings_bind_from_the_Symphainy_section()
    {
        var directory = Directory.CreateTempSubdirectory("symphainy-options-");
        try
        {
            using var host = BuildHost(new() { ["Symphainy:DataDirectory"] = directory.FullName, ["Symphainy:InstanceName"] = "worker-7" });
            await host.StartAsync();
            var options = host.Services.GetRequiredService<IOptions<SymphainyOptions>>().Value;
            options.DataDirectory.Should().Be(directory.FullName);
            options.InstanceName.Should().Be("worker-7");
            await host.StopAsync();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Environment_variables_with_double_underscores_bind()
    {
        Environment.SetEnvironmentVariable("SYMPHAINYTEST_Symphainy__InstanceName", "from-env");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddEnvironmentVariables("SYMPHAINYTEST_");
            builder.Logging.ClearProviders();
            new SymphainyBuilder(builder.Services).AddRuntime();
            using var host = builder.Build();
            await host.StartAsync();
            host.Services.GetRequiredService<IOptions<SymphainyOptions>>().Value.InstanceName.Should().Be("from-env");
            await host.StopAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable("SYMPHAINYTEST_Symphainy__InstanceName", null);
        }
    }

    [Fact]
    public async Task Invalid_settings_stop_the_host_at_start_with_every_problem_listed()
    {
        using var host = BuildHost(new() { ["Symphainy:DataDirectory"] = "", ["Symphainy:InstanceName"] = "Not Valid!" });
        var start = () => host.StartAsync();
        var error = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Failures.Should().HaveCount(2);
        error.Message.Should().Contain("Symphainy:DataDirectory").And.Contain("Symphainy__DataDirectory")
            .And.Contain("Symphainy:InstanceName ('Not Valid!')").And.Contain("lowercase letters");
    }

    [Fact]
    public async Task A_host_that_runs_no_sagas_on_a_log_of_its_own_refuses_to_start()
    {
        // Nobody else could ever run the sagas it accepted.
        using var host = BuildHost(new() { ["Symphainy:Sagas:Execute"] = "false" });
        var start = () => host.StartAsync();
        var error = (await start.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("host.misconfigured");
        error.Message.Should().Contain("Symphainy:Sagas:Execute").And.Contain("UseRedis");
    }

    [Fact]
    public void Docs_list_every_runtime_setting()
    {
        var roots = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => a.GetName().Name?.StartsWith("Symphainy", StringComparison.Ordinal) == true && a != typeof(SymphainyOptionsTests).Assembly)
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsDefined(typeof(OptionsSectionAttribute), false));
        var settings = roots.SelectMany(OptionsSections.Settings).Select(s => s.Key).ToArray();
        settings.Should().Contain("Symphainy:DataDirectory");
        RepoFiles.ReadTableFirstColumn("docs/configuration.md").Should().Contain(settings,
            "docs/configuration.md lists every Runtime setting");
    }
}

public sealed class OptionsSectionsTests
{
    [Fact]
    public void Settings_list_collections_once_with_a_placeholder_and_walk_into_their_elements()
    {
        var keys = OptionsSections.Settings(typeof(ShapeOptions)).Select(s => s.Key).ToArray();

        keys.Should().BeEquivalentTo(
            "Test:Plain", "Test:Nested:Inner", "Test:Items:<n>:Inner", "Test:Names:<n>", "Test:ByName:<key>",
            "Test:RolesByName:<key>:<n>", "Test:LimitsByName:<key>:Inner");
    }

    [OptionsSection("Test")]
    public sealed class ShapeOptions
    {
        public int Plain { get; set; }

        public int ReadOnly => 1;

        public InnerOptions Nested { get; } = new();

        public IList<InnerOptions> Items { get; } = [];

        public IList<string> Names { get; } = [];

        public IDictionary<string, TimeSpan> ByName { get; } = new Dictionary<string, TimeSpan>();

        public IDictionary<string, string[]> RolesByName { get; } = new Dictionary<string, string[]>();

        public Dictionary<string, InnerOptions> LimitsByName { get; } = [];
    }

    public sealed class InnerOptions
    {
        public string? Inner { get; set; }
    }
}
