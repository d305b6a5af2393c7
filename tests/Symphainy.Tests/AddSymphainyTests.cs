using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;

namespace Symphainy.Tests;

public sealed class AddSymphainyTests
{
    private static HostApplicationBuilder NewBuilder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.ClearProviders();
        return builder;
    }

    [Fact]
    public async Task With_no_arguments_the_host_starts_and_stops_cleanly()
    {
        var builder = NewBuilder();
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        await host.StartAsync();
        host.Services.GetServices<PlaneDescriptor>().Select(p => p.Name).Should().Contain("Runtime");
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
        var builder = NewBuilder();
        builder.Services.AddSymphainy();
        builder.Services.AddSymphainy();

        builder.Services.Count(s => s.ServiceType == typeof(PlaneDescriptor)).Should().Be(1);
        builder.Services.Count(s => s.ServiceType == typeof(IdGenerator)).Should().Be(1);
        builder.Services.Count(s => s.ServiceType == typeof(IHostedService)).Should().Be(1);
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
}
