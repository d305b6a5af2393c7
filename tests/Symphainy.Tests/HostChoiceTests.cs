using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Configuration;
using Symphainy.Events;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.Projection;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Tests;

/// <summary>A host's choice wins: every replaceable service, whatever the order of registration.</summary>
public sealed class HostChoiceTests : IDisposable
{
    private readonly DirectoryInfo _contentRoot = Directory.CreateTempSubdirectory("symphainy-choice-");

    public void Dispose() => _contentRoot.Delete(recursive: true);

    /// <summary>Where the replacement is registered, relative to <c>AddSymphainy</c>.</summary>
    public enum Order
    {
        /// <summary>The host's own registration, before <c>AddSymphainy</c>.</summary>
        HostBefore,

        /// <summary>The host's own registration, after <c>AddSymphainy</c>.</summary>
        HostAfter,

        /// <summary>The host's own registration, inside the configure callback.</summary>
        HostInConfigure,

        /// <summary>A provider package's choice, inside the configure callback.</summary>
        ProviderInConfigure,

        /// <summary>A provider package's choice, on the builder <c>AddSymphainy</c> returned.</summary>
        ProviderOnReturnedBuilder,
    }

    /// <summary>Each replaceable service and how to make a distinct instance of it.</summary>
    private static readonly Dictionary<string, (Type Service, Func<object> Create)> Ports = new()
    {
        ["IWriteAheadLog"] = (typeof(IWriteAheadLog), () => new InMemoryWriteAheadLog(TimeProvider.System)),
        ["IHotStateStore"] = (typeof(IHotStateStore), () => new InMemoryHotStateStore(TimeProvider.System)),
        ["IStateGraph"] = (typeof(IStateGraph), () => new InMemoryStateGraph()),
        ["IExecutionEventBus"] = (typeof(IExecutionEventBus), () => new InProcessExecutionEventBus()),
        ["ICapabilityResolver"] = (typeof(ICapabilityResolver), () => new NoCapabilities()),
        ["ISessionRegistry"] = (typeof(ISessionRegistry), NewSessionRegistry),
        ["TimeProvider"] = (typeof(TimeProvider), () => new FakeTimeProvider()),
        ["IRandomSource"] = (typeof(IRandomSource), () => new SeededRandomSource(7)),
    };

    public static TheoryData<string, Order> EveryPortInEveryOrder()
    {
        var data = new TheoryData<string, Order>();
        foreach (var port in Ports.Keys)
        {
            foreach (var order in Enum.GetValues<Order>())
            {
                data.Add(port, order);
            }
        }

        return data;
    }

    public static TheoryData<string> EveryPort() => [.. Ports.Keys];

    [Theory]
    [MemberData(nameof(EveryPortInEveryOrder))]
    public void The_host_or_provider_registration_wins_over_the_defaults(string port, Order order)
    {
        var (service, create) = Ports[port];
        var mine = create();
        var builder = NewBuilder();

        if (order == Order.HostBefore)
        {
            builder.Services.AddSingleton(service, mine);
        }

        var symphainy = builder.Services.AddSymphainy(b =>
        {
            if (order == Order.HostInConfigure)
            {
                b.Services.AddSingleton(service, mine);
            }
            else if (order == Order.ProviderInConfigure)
            {
                b.UseTestProvider(service, mine);
            }
        });

        if (order == Order.HostAfter)
        {
            builder.Services.AddSingleton(service, mine);
        }
        else if (order == Order.ProviderOnReturnedBuilder)
        {
            symphainy.UseTestProvider(service, mine);
        }

        using var host = builder.Build();
        host.Services.GetRequiredService(service).Should().BeSameAs(mine);
    }

    [Theory]
    [MemberData(nameof(EveryPort))]
    public void A_registration_of_the_host_after_a_provider_choice_wins(string port)
    {
        var (service, create) = Ports[port];
        var chosen = create();
        var mine = create();
        var builder = NewBuilder();
        builder.Services.AddSymphainy(b => b.UseTestProvider(service, chosen));
        builder.Services.AddSingleton(service, mine);

        using var host = builder.Build();
        host.Services.GetRequiredService(service).Should().BeSameAs(mine);
    }

    [Theory]
    [MemberData(nameof(EveryPort))]
    public void With_nothing_chosen_the_service_is_a_default(string port)
    {
        var (service, _) = Ports[port];
        var builder = NewBuilder();
        builder.Services.AddSymphainy();

        builder.Services.Where(d => d.ServiceType == service).Should().ContainSingle()
            .Which.Should().Match<ServiceDescriptor>(d => builder.Services.IsDefault(d));
    }

    [Fact]
    public void The_meta_package_uses_the_sqlite_graph_as_a_default_that_keeps_its_checkpoints()
    {
        var builder = NewBuilder();
        builder.Services.AddSymphainy();
        using var host = builder.Build();

        var graph = host.Services.GetRequiredService<IStateGraph>();
        graph.Should().BeSameAs(host.Services.GetRequiredService<SqliteStateGraph>());
        graph.Should().BeAssignableTo<IProjectionCheckpoints>();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Choosing_the_sqlite_graph_explicitly_replaces_the_defaults_and_registers_once(bool inConfigure)
    {
        var builder = NewBuilder();
        if (inConfigure)
        {
            builder.Services.AddSymphainy(b => b.UseSqliteStateGraph().UseSqliteStateGraph());
        }
        else
        {
            builder.Services.AddSymphainy().UseSqliteStateGraph().UseSqliteStateGraph();
        }

        var registration = builder.Services.Where(d => d.ServiceType == typeof(IStateGraph)).Should().ContainSingle().Subject;
        builder.Services.IsDefault(registration).Should().BeFalse("it is an explicit choice");
        using var host = builder.Build();
        host.Services.GetRequiredService<IStateGraph>().Should().BeSameAs(host.Services.GetRequiredService<SqliteStateGraph>());
    }

    [Fact]
    public void The_sqlite_graph_chosen_explicitly_wins_over_a_provider_graph_chosen_earlier_and_a_host_graph_after_it_wins_over_both()
    {
        var builder = NewBuilder();
        var provided = new InMemoryStateGraph();
        var mine = new InMemoryStateGraph();
        var symphainy = builder.Services.AddSymphainy(b => b.UseTestProvider(typeof(IStateGraph), provided));
        symphainy.UseSqliteStateGraph();
        using (var host = builder.Build())
        {
            host.Services.GetRequiredService<IStateGraph>().Should().BeOfType<SqliteStateGraph>();
        }

        builder = NewBuilder();
        builder.Services.AddSymphainy(b => b.UseSqliteStateGraph());
        builder.Services.AddSingleton<IStateGraph>(mine);
        using (var host = builder.Build())
        {
            host.Services.GetRequiredService<IStateGraph>().Should().BeSameAs(mine);
        }
    }

    [Theory]
    [InlineData("File")]
    [InlineData("InMemory")]
    public void A_provider_log_is_used_whatever_the_configured_built_in_log(string configured)
    {
        var builder = NewBuilder(new() { ["Symphainy:Wal:Provider"] = configured });
        var log = new InMemoryWriteAheadLog(TimeProvider.System);
        builder.Services.AddSymphainy(b => b.UseTestProvider(typeof(IWriteAheadLog), log));
        using var host = builder.Build();

        host.Services.GetRequiredService<IWriteAheadLog>().Should().BeSameAs(log);
    }

    [Fact]
    public void A_later_default_replaces_an_earlier_default_but_never_a_registration_of_the_host()
    {
        var services = new ServiceCollection();
        var runtime = ServiceDescriptor.Singleton<IStateGraph, InMemoryStateGraph>();
        var higher = ServiceDescriptor.Singleton<IStateGraph>(_ => new InMemoryStateGraph());
        services.AddDefault(runtime).AddDefault(higher);
        services.Where(d => d.ServiceType == typeof(IStateGraph)).Should().Equal(higher);
        services.IsDefault(runtime).Should().BeFalse("it was replaced");
        services.IsDefault(higher).Should().BeTrue();

        var mine = new InMemoryStateGraph();
        services.AddSingleton<IStateGraph>(mine);
        services.AddDefault(ServiceDescriptor.Singleton<IStateGraph, InMemoryStateGraph>());
        services.Where(d => d.ServiceType == typeof(IStateGraph)).Select(d => d.ImplementationInstance).Should().Equal(null, mine);
        services.BuildServiceProvider().GetRequiredService<IStateGraph>().Should().BeSameAs(mine);
    }

    [Fact]
    public void Keyed_registrations_are_slots_of_their_own()
    {
        var services = new ServiceCollection();
        var keyed = new InMemoryStateGraph();
        services.AddKeyedSingleton<IStateGraph>("archive", keyed);
        services.AddDefault(ServiceDescriptor.Singleton<IStateGraph, InMemoryStateGraph>());
        var chosen = new InMemoryStateGraph();
        services.Choose(ServiceDescriptor.KeyedSingleton<IStateGraph>("other", chosen));

        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStateGraph>().Should().BeOfType<InMemoryStateGraph>().And.NotBeSameAs(keyed).And.NotBeSameAs(chosen);
        provider.GetRequiredKeyedService<IStateGraph>("archive").Should().BeSameAs(keyed);
        provider.GetRequiredKeyedService<IStateGraph>("other").Should().BeSameAs(chosen);
    }

    private HostApplicationBuilder NewBuilder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _contentRoot.FullName });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.ClearProviders();
        return builder;
    }

    private static ISessionRegistry NewSessionRegistry() => new HostSessions();

    /// <summary>A host's own registry; only its identity matters here.</summary>
    private sealed class HostSessions : ISessionRegistry
    {
        public ValueTask<Session> CreateAsync(TenantId tenant, TimeSpan? ttl = null, IReadOnlyDictionary<string, string>? attributes = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<Session?> GetAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<Session> GetOpenAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<Session> TouchAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<bool> EndAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class NoCapabilities : ICapabilityResolver
    {
        public CapabilityResolution? Resolve(string intentType, int? version) => null;
    }
}

/// <summary>What a provider package's registration looks like: an explicit choice.</summary>
internal static class TestProviderExtensions
{
    public static ISymphainyBuilder UseTestProvider(this ISymphainyBuilder builder, Type service, object instance)
    {
        builder.Services.Choose(ServiceDescriptor.Singleton(service, instance));
        return builder;
    }
}
