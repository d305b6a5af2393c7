using Symphainy.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Wal;

namespace Symphainy.Tests;

public sealed class AddSymphainyTests : IDisposable
{
    private readonly DirectoryInfo _contentRoot = Directory.CreateTempSubdirectory("symphainy-host-");

    public void Dispose() => _contentRoot.Delete(recursive: true);

    private HostApplicationBuilder NewBuilder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _contentRoot.FullName });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.ClearProviders();
        return builder;
    }

    [Fact]
    public async Task With_no_arguments_the_host_starts_on_the_embedded_defaults_and_stops_cleanly()
    {
        var builder = NewBuilder();
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        await host.StartAsync();
        host.Services.GetServices<PlaneDescriptor>().Select(p => p.Name).Should().Equal("Runtime", "Foundations", "PublicWorks.Sqlite", "Agents");
        var graph = host.Services.GetRequiredService<Symphainy.State.IStateGraph>().Should().BeOfType<Symphainy.PublicWorks.Sqlite.SqliteStateGraph>().Subject;
        graph.Path.Should().Be(Path.Combine(_contentRoot.FullName, "symphainy-data", "state-graph.db"));
        host.Services.GetRequiredService<Symphainy.Intake.ICapabilityResolver>().Should().BeOfType<Symphainy.Capabilities.Curator>();
        host.Services.GetRequiredService<IdGenerator>().Next<SessionId>().Value.Version.Should().Be(7);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_invalid_option_fails_at_start_naming_the_setting()
    {
        var builder = NewBuilder(new() { ["Symphainy:InstanceName"] = "UPPER CASE" });
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        var start = () => host.StartAsync();
        (await start.Should().ThrowAsync<OptionsValidationException>())
            .WithMessage("*Symphainy:InstanceName ('UPPER CASE')*Symphainy__InstanceName*");
    }

    [Fact]
    public void Calling_it_twice_registers_each_plane_and_service_once()
    {
        var once = NewBuilder();
        once.Services.AddSymphainy();
        var twice = NewBuilder();
        twice.Services.AddSymphainy();
        twice.Services.AddSymphainy();

        twice.Services.Count.Should().Be(once.Services.Count);
        twice.Services.Where(s => s.ServiceType == typeof(PlaneDescriptor)).Select(s => ((PlaneDescriptor)s.ImplementationInstance!).Name)
            .Should().Equal("Runtime", "Foundations", "PublicWorks.Sqlite", "Agents");
        twice.Services.Count(s => s.ServiceType == typeof(IdGenerator)).Should().Be(1);
        twice.Services.Where(s => s.ServiceType == typeof(IHostedService)).Select(s => s.ImplementationType ?? s.ImplementationInstance?.GetType())
            .Should().OnlyHaveUniqueItems().And.HaveCountGreaterThan(1);
    }

    [Fact]
    public void Services_the_host_registered_first_win()
    {
        var builder = NewBuilder();
        var time = new FakeTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        host.Services.GetRequiredService<TimeProvider>().Should().BeSameAs(time);
    }

    [Fact]
    public async Task Code_configuration_applies_after_configuration_binding()
    {
        var builder = NewBuilder(new() { ["Symphainy:InstanceName"] = "from-config" });
        builder.Services.AddSymphainy(s => s.AddRuntime(o => o.InstanceName = "from-code"));
        using var host = builder.Build();
        await host.StartAsync();
        host.Services.GetRequiredService<IOptions<Symphainy.Configuration.SymphainyOptions>>().Value.InstanceName.Should().Be("from-code");
        await host.StopAsync();
    }

    [Fact]
    public async Task The_embedded_default_is_a_file_log_under_the_data_directory_that_survives_a_restart()
    {
        var tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(1)).Next<TenantId>();
        Session? session = null;
        for (var restart = 0; restart < 2; restart++)
        {
            var builder = NewBuilder();
            builder.Services.AddSymphainy();
            using var host = builder.Build();
            await host.StartAsync();
            var wal = host.Services.GetRequiredService<IWriteAheadLog>();
            var file = wal.Should().BeOfType<FileWriteAheadLog>().Subject;
            file.Directory.Should().Be(Path.Combine(_contentRoot.FullName, "symphainy-data", "wal"));
            var sessions = host.Services.GetRequiredService<ISessionRegistry>();
            if (session is null)
            {
                session = await sessions.CreateAsync(tenant);
                wal.NextPosition.Should().Be(2, "the session's start is the log's first record");
            }
            else
            {
                wal.NextPosition.Should().Be(2, "the record of the first run is still there");
                (await sessions.GetOpenAsync(tenant, session.Id)).Id.Should().Be(session.Id, "sessions are restored from the log");
            }

            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_in_memory_log_is_chosen_by_configuration()
    {
        var builder = NewBuilder(new() { ["Symphainy:Wal:Provider"] = "InMemory" });
        builder.Services.AddSymphainy();
        using var host = builder.Build();
        await host.StartAsync();
        host.Services.GetRequiredService<IWriteAheadLog>().Should().BeOfType<InMemoryWriteAheadLog>();
        Directory.Exists(Path.Combine(_contentRoot.FullName, "symphainy-data", "wal")).Should().BeFalse();
        await host.StopAsync();
    }

    [Fact]
    public async Task A_damaged_log_stops_the_host_at_start_with_the_typed_error()
    {
        var wal = Directory.CreateDirectory(Path.Combine(_contentRoot.FullName, "symphainy-data", "wal"));
        await File.WriteAllTextAsync(Path.Combine(wal.FullName, "00000000000000000001.wal"), "not a segment");
        var builder = NewBuilder();
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        var start = () => host.StartAsync();
        (await start.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("wal.corrupt_record");
    }

    [Fact]
    public async Task An_invalid_log_setting_is_listed_with_the_others_at_start()
    {
        var builder = NewBuilder(new() { ["Symphainy:Wal:SegmentSizeBytes"] = "10", ["Symphainy:InstanceName"] = "" });
        builder.Services.AddSymphainy();
        using var host = builder.Build();
        var start = () => host.StartAsync();
        var error = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        error.Failures.Should().HaveCount(2);
        error.Message.Should().Contain("Symphainy:Wal:SegmentSizeBytes ('10')").And.Contain("Symphainy__Wal__SegmentSizeBytes").And.Contain("Symphainy:InstanceName");
    }
}
