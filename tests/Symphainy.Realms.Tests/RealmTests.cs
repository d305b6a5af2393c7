using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Capabilities;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.SmartCity;

namespace Symphainy.Realms.Tests;

public sealed class RealmTests
{
    private static readonly TenantId Tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private static async Task<IHost> StartAsync(Action<ISymphainyBuilder> realms)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:Wal:Provider"] = "InMemory" });
        var symphainy = new SymphainyBuilder(builder.Services).AddRuntime();
        realms(symphainy);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task A_realms_capabilities_are_registered_under_its_name_and_run_its_orchestrator_over_its_services()
    {
        using var host = await StartAsync(s => s.AddRealm<PricingRealm>());
        host.Services.GetServices<CapabilityRegistration>().Should().ContainSingle(c => c.Name == "pricing.quote")
            .Which.Should().Be(new CapabilityRegistration("pricing.quote", 1, "pricing", "Quotes a price with tax.", Determinism.NonDeterministic, false));
        host.Services.GetRequiredService<TaxTable>().Should().BeSameAs(host.Services.GetRequiredService<TaxTable>(), "services hold no state: one instance");

        var accepted = await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("pricing.quote", Tenant, JsonSerializer.SerializeToElement(new Quote(100))));
        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(Tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Completed);
        ended.GetOutput<decimal>().Should().Be(120m);
    }

    [Fact]
    public async Task A_realm_added_twice_is_added_once_and_scanning_finds_the_public_realms_of_an_assembly()
    {
        using var host = await StartAsync(s => s.AddRealm<PricingRealm>().AddRealm<PricingRealm>().AddRealmsFrom(typeof(RealmTests).Assembly));
        var capabilities = host.Services.GetServices<CapabilityRegistration>().Select(c => c.Name).ToList();
        capabilities.Should().ContainSingle(n => n == "pricing.quote");
        capabilities.Should().Contain("billing.invoice", "scanning adds the other public realm");
        host.Services.GetServices<RealmManager>().Select(r => r.Realm).Should().BeEquivalentTo(["pricing", "billing"]);
    }

    public static TheoryData<string, RealmManager, string> InvalidRealms => new()
    {
        { "outside the realm", new Declared("shop", c => c.Capability<QuoteOrchestrator>("pricing.quote", "d")), "must be named 'shop.<action>'" },
        { "no action", new Declared("shop", c => c.Capability<QuoteOrchestrator>("shop.", "d")), "must be named 'shop.<action>'" },
        { "no description", new Declared("shop", c => c.Capability<QuoteOrchestrator>("shop.quote", " ")), "has no description" },
        { "declared twice", new Declared("shop", c => c.Capability<QuoteOrchestrator>("shop.quote", "d").Capability<QuoteOrchestrator>("shop.quote", "d")), "declared twice" },
        { "bad name", new Declared("Shop-1", _ => { }), "lower case letters, digits and '_'" },
    };

    [Theory]
    [MemberData(nameof(InvalidRealms))]
    public void An_invalid_declaration_is_refused_when_the_realm_is_added_with_a_message_that_says_how_to_fix_it(string problem, RealmManager realm, string message)
    {
        var add = () => new SymphainyBuilder(new ServiceCollection()).AddRealm(realm);
        var error = add.Should().Throw<SymphainyException>(problem).Which;
        error.Code.Should().Be("realm.invalid_registration");
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Two_realms_of_one_name_are_refused()
    {
        var add = () => new SymphainyBuilder(new ServiceCollection()).AddRealm(new Declared("shop", _ => { })).AddRealm(new Other("shop"));
        add.Should().Throw<SymphainyException>().Which.Message.Should().Contain("Two realms are named 'shop'");
    }

    [Fact]
    public async Task Under_the_City_Manager_realms_start_after_the_realms_they_depend_on_with_the_hosts_services_and_stop_in_reverse()
    {
        var lifecycle = new ConcurrentQueue<string>();
        var host = await StartAsync(s => s
            .AddRealm(new Tracked("outcomes", ["insights"], lifecycle))
            .AddRealm(new Tracked("insights", ["content"], lifecycle))
            .AddRealm(new Tracked("content", [], lifecycle))
            .AddSmartCity());
        lifecycle.Should().Equal("start content (services)", "start insights (services)", "start outcomes (services)");
        await host.StopAsync();
        host.Dispose();
        lifecycle.Should().EndWith(["stop outcomes", "stop insights", "stop content"]);
    }

    public sealed record Quote(decimal Amount);

    public sealed class TaxTable : IRealmService
    {
        public decimal WithTax(decimal amount) => amount * 1.2m;
    }

    public sealed class QuoteOrchestrator : Orchestrator<Quote, decimal>
    {
        public override Task<decimal> RunAsync(SagaContext saga, Quote input) => saga.Step("tax", (TaxTable t) => t.WithTax(input.Amount));
    }

    public sealed class PricingRealm : RealmManager
    {
        protected override void Register(RealmCatalog catalog) => catalog
            .Service<TaxTable>()
            .Capability<QuoteOrchestrator>("pricing.quote", "Quotes a price with tax.");
    }

    public sealed class BillingRealm : RealmManager
    {
        protected override void Register(RealmCatalog catalog) => catalog
            .Service<TaxTable>()
            .Capability<QuoteOrchestrator>("billing.invoice", "Invoices a quoted price.");
    }

    private sealed class Declared(string name, Action<RealmCatalog> register) : RealmManager
    {
        public override string Realm => name;

        protected override void Register(RealmCatalog catalog) => register(catalog);
    }

    private sealed class Other(string name) : RealmManager
    {
        public override string Realm => name;

        protected override void Register(RealmCatalog catalog)
        {
        }
    }

    private sealed class Tracked(string name, string[] dependsOn, ConcurrentQueue<string> lifecycle) : RealmManager
    {
        public override string Realm => name;

        public override IReadOnlyCollection<string> DependsOn => dependsOn;

        protected override void Register(RealmCatalog catalog)
        {
        }

        protected override Task OnStartAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            lifecycle.Enqueue($"start {name}{(services.GetService<ISagaEngine>() is null ? "" : " (services)")}");
            return Task.CompletedTask;
        }

        protected override Task OnStopAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            lifecycle.Enqueue($"stop {name}");
            return Task.CompletedTask;
        }
    }
}
