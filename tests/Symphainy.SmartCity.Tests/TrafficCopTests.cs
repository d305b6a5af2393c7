using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Symphainy.SmartCity.Tests;

public sealed class TrafficCopTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    private SymphainyPrincipal Of(TenantId tenant) => new("caller", tenant, new HashSet<string>());

    [Fact]
    public async Task The_eleventh_intent_over_a_limit_of_ten_gets_a_typed_retry_after_error_and_other_tenants_are_not_affected()
    {
        await using var host = await SmartCityHost.StartAsync(traffic: t => t.PerTenant = new RateLimit { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) });
        for (var i = 0; i < 10; i++)
        {
            await host.SubmitAsync("orders.place", _tenant, Of(_tenant));
        }

        var eleventh = () => host.SubmitAsync("orders.place", _tenant, Of(_tenant));
        var error = (await eleventh.Should().ThrowAsync<RateLimitedException>()).Which;
        error.Code.Should().Be("traffic.rate_limited");
        error.IsRetryable.Should().BeTrue();
        error.RetryAfter.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(1));

        (await host.SubmitAsync("orders.place", _other, Of(_other))).Duplicate.Should().BeFalse("each tenant has its own budget");
    }

    [Fact]
    public async Task A_capability_limit_holds_only_that_capability_back()
    {
        await using var host = await SmartCityHost.StartAsync(traffic: t => t.PerCapability["orders.refund"] = new RateLimit { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
        await host.SubmitAsync("orders.refund", _tenant, Of(_tenant));
        await host.SubmitAsync("orders.refund", _tenant, Of(_tenant));
        var third = () => host.SubmitAsync("orders.refund", _tenant, Of(_tenant));
        await third.Should().ThrowAsync<RateLimitedException>();
        for (var i = 0; i < 5; i++)
        {
            await host.SubmitAsync("orders.place", _tenant, Of(_tenant));
        }

        await host.SubmitAsync("orders.refund", _other, Of(_other));
    }

    [Fact]
    public async Task Refused_callers_spend_nobodys_budget()
    {
        await using var host = await SmartCityHost.StartAsync(traffic: t => t.PerTenant = new RateLimit { PermitLimit = 3, Window = TimeSpan.FromMinutes(1) });
        for (var i = 0; i < 10; i++)
        {
            var anonymous = () => host.SubmitAsync("orders.place", _tenant, null);
            (await anonymous.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("security.unauthenticated");
        }

        for (var i = 0; i < 3; i++)
        {
            await host.SubmitAsync("orders.place", _tenant, Of(_tenant));
        }
    }

    [Fact]
    public async Task The_city_manager_lists_the_services_online_and_reports_ready()
    {
        await using var host = await SmartCityHost.StartAsync();
        var manager = host.Services.GetRequiredService<CityManager>();
        manager.Services.Select(s => s.Name).Should().Equal("Security Guard", "Traffic Cop", "Post Office", "Conductor", "Librarian", "Data Steward", "Nurse", "City Manager");
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Entries["symphainy-city"].Status.Should().Be(HealthStatus.Healthy);
        report.Entries["symphainy-city"].Description.Should().Be("8 Smart City services online, 0 realms started");
    }
}

public sealed class CityManagerStartTests
{
    [Fact]
    public async Task A_capability_that_does_not_resolve_keeps_the_host_from_starting_and_names_it()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration["Symphainy:Wal:Provider"] = "InMemory";
        builder.Logging.ClearProviders();
        new Symphainy.Hosting.SymphainyBuilder(builder.Services)
            .AddCapability<SmartCityHost.Echo>("orders.place", "orders", "places an order")
            .AddSmartCity();
        builder.Services.AddSingleton<Symphainy.Intake.ICapabilityResolver>(new ResolvesNothing());
        using var host = builder.Build();
        var start = () => host.StartAsync();
        var error = (await start.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("city.capability_unresolved");
        error.Message.Should().Contain("'orders.place' v1 (realm orders) does not resolve");
    }

    private sealed class ResolvesNothing : Symphainy.Intake.ICapabilityResolver
    {
        public Symphainy.Intake.CapabilityResolution? Resolve(string intentType, int? version) => null;
    }
}

public sealed class SessionLimitTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    [Fact]
    public async Task A_session_over_its_limit_is_held_back_while_other_sessions_and_sessionless_intents_go_on()
    {
        await using var host = await SmartCityHost.StartAsync(traffic: t => t.PerSession = new RateLimit { PermitLimit = 2, Window = TimeSpan.FromMinutes(1) });
        var sessions = host.Services.GetRequiredService<Symphainy.Sessions.ISessionRegistry>();
        var busy = (await sessions.CreateAsync(_tenant)).Id;
        var quiet = (await sessions.CreateAsync(_tenant)).Id;
        using var _ = SymphainyPrincipal.Use(new SymphainyPrincipal("app", _tenant, new HashSet<string>()));
        Task<Symphainy.Intake.IntentAcceptance> Submit(SessionId? session) =>
            host.Intake.SubmitAsync(new Symphainy.Intake.Intent("orders.place", _tenant, System.Text.Json.JsonSerializer.SerializeToElement(new SmartCityHost.Order(1)), session)).AsTask();

        await Submit(busy);
        await Submit(busy);
        var third = () => Submit(busy);
        (await third.Should().ThrowAsync<RateLimitedException>()).Which.RetryAfter.Should().BePositive();
        await Submit(quiet);
        await Submit(null);
        await Submit(null);
        await Submit(null);
    }
}
