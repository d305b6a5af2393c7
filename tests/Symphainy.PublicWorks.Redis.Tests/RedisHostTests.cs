using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Symphainy.Events;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>A host on <c>UseRedis</c>, driven from outside: sagas run on the Redis log and survive a host restart.</summary>
public sealed class RedisHostTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private readonly string _prefix = RedisHotStateStoreConformanceTests.Prefix();

    [Fact]
    public async Task Sagas_run_on_the_Redis_log_and_a_restarted_host_knows_how_they_ended()
    {
        var sagas = new List<SagaId>();
        using (var host = await StartAsync(redis.Server.ConnectionString))
        {
            host.Services.GetRequiredService<IWriteAheadLog>().Should().BeOfType<RedisWriteAheadLog>();
            host.Services.GetRequiredService<IHotStateStore>().Should().BeOfType<RedisHotStateStore>();
            host.Services.GetRequiredService<IExecutionEventBus>().Should().BeOfType<RedisExecutionEventBus>();
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            for (var i = 0; i < 20; i++)
            {
                var accepted = await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(i))));
                sagas.Add(accepted.Execution);
            }

            foreach (var (saga, i) in sagas.Select((s, i) => (s, i)))
            {
                var ended = await engine.WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
                ended.State.Should().Be(SagaState.Completed);
                ended.Output!.Value.GetInt32().Should().Be(i * 2);
            }

            await host.StopAsync();
        }

        // Every record is in the server's stream: a new host reads the same history.
        (await redis.Connection.GetDatabase().StreamLengthAsync($"{{{_prefix}}}:wal")).Should().BeGreaterThanOrEqualTo(20 * 4);
        using var restarted = await StartAsync(redis.Server.ConnectionString);
        var again = restarted.Services.GetRequiredService<ISagaEngine>();
        foreach (var saga in sagas)
        {
            (await again.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Completed);
        }

        await restarted.StopAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Another_process_following_the_tenants_events_sees_every_saga_end_in_log_order(bool redisLog)
    {
        // With the Redis log, events are written by the log with their records; with another log (the host's own
        // choice), the Runtime publishes them on the Redis bus. Either way another process sees the same story.
        // A second bus on its own connection stands for another process: it follows the tenant's event stream.
        await using var elsewhere = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var follower = new RedisExecutionEventBus(elsewhere, _prefix, TimeProvider.System);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var events = follower.SubscribeAsync(_tenant, cancellationToken: stop.Token).GetAsyncEnumerator(stop.Token);
        var first = events.MoveNextAsync(); // attached

        using var host = await StartAsync(redis.Server.ConnectionString, services: redisLog ? null : s => s.AddSingleton<IWriteAheadLog>(new InMemoryWriteAheadLog(TimeProvider.System)));
        host.Services.GetRequiredService<IExecutionEventBus>().IsFedByLog.Should().Be(redisLog);
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        var sagas = new HashSet<SagaId>();
        for (var i = 0; i < 50; i++)
        {
            sagas.Add((await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(i))))).Execution);
        }

        var seen = new List<ExecutionEvent>();
        var completed = new HashSet<SagaId>();
        for (var more = await first; more; more = await events.MoveNextAsync())
        {
            seen.Add(events.Current);
            if (events.Current.Kind == ExecutionEventKind.SagaCompleted && completed.Add(events.Current.Saga) && completed.Count == sagas.Count)
            {
                break;
            }
        }

        completed.Should().BeEquivalentTo(sagas);
        seen.Select(e => e.Position).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        seen.Should().OnlyContain(e => e.Tenant == _tenant && sagas.Contains(e.Saga));
        await host.StopAsync();
    }

    [Fact]
    public async Task Sessions_and_idempotency_keys_live_in_Redis_so_a_second_host_sees_them()
    {
        using var first = await StartAsync(redis.Server.ConnectionString);
        using var second = await StartAsync(redis.Server.ConnectionString);
        var sessions = first.Services.GetRequiredService<ISessionRegistry>();
        var session = await sessions.CreateAsync(_tenant, TimeSpan.FromMinutes(5));

        // A session created on the first host is usable on the second.
        var elsewhere = second.Services.GetRequiredService<IIntentIntake>();
        var accepted = await elsewhere.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(4)), session.Id, IdempotencyKey: "order-17"));
        (await second.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);

        // The key claimed on the second host is a duplicate on the first: one key, one intent, one saga.
        var again = await first.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(4)), IdempotencyKey: "order-17"));
        again.Duplicate.Should().BeTrue();
        again.Execution.Should().Be(accepted.Execution);
        again.Intent.Should().Be(accepted.Intent);

        // Ended on the first host, the session is refused on the second.
        (await sessions.EndAsync(_tenant, session.Id)).Should().BeTrue();
        var ended = async () => await elsewhere.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(5)), session.Id));
        (await ended.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.ended");

        await second.StopAsync();
        await first.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Checkpoints_remove_records_from_the_shared_log_only_when_trimming_was_chosen(bool trim)
    {
        using var host = await StartAsync(redis.Server.ConnectionString, new() { ["Symphainy:Redis:TrimLog"] = trim ? "true" : "false" });
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        for (var i = 0; i < 10; i++)
        {
            var accepted = await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new Number(i))));
            await engine.WaitForEndAsync(_tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var first = await host.Services.GetRequiredService<IWalRetention>().CheckpointAsync();
        var log = host.Services.GetRequiredService<IWriteAheadLog>();
        var kept = await redis.Connection.GetDatabase().StreamLengthAsync($"{{{_prefix}}}:wal");
        if (trim)
        {
            first.Should().BeGreaterThan(1, "every saga ended, so one host's view is that nothing before the end is needed");
            kept.Should().Be(log.NextPosition - first);
        }
        else
        {
            first.Should().Be(1, "another host's unfinished sagas may still need any record");
            kept.Should().Be(log.NextPosition - 1);
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task The_provider_choice_wins_whether_it_is_made_before_or_after_the_runtime_defaults()
    {
        foreach (var redisFirst in new[] { true, false })
        {
            var services = new ServiceCollection();
            var builder = new SymphainyBuilder(services);
            if (redisFirst)
            {
                builder.UseRedis(redis.Server.ConnectionString).AddRuntime();
            }
            else
            {
                builder.AddRuntime().UseRedis(redis.Server.ConnectionString);
            }

            services.Where(d => d.ServiceType == typeof(IWriteAheadLog)).Should().ContainSingle("Redis {0} the runtime", redisFirst ? "before" : "after");
            services.Where(d => d.ServiceType == typeof(IHotStateStore)).Should().ContainSingle();
            services.Where(d => d.ServiceType == typeof(IExecutionEventBus)).Should().ContainSingle();
        }
    }

    [Fact]
    public async Task A_server_that_can_lose_acknowledged_writes_stops_the_start_unless_that_is_accepted()
    {
        await using var lax = await RedisServer.StartAsync(appendFsync: "everysec");
        var refused = async () =>
        {
            using var host = await StartAsync(lax.ConnectionString);
        };
        (await refused.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("redis.not_durable");

        using var accepted = await StartAsync(lax.ConnectionString, new() { ["Symphainy:Redis:RequireAlwaysFsync"] = "false" });
        await accepted.StopAsync();
    }

    [Fact]
    public async Task A_missing_connection_string_or_an_unreachable_server_fails_the_start_with_a_clear_error()
    {
        var missing = async () =>
        {
            using var host = await StartAsync(connectionString: null);
        };
        (await missing.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("ConnectionString");

        var nobody = async () =>
        {
            using var host = await StartAsync($"127.0.0.1:{FreePort()},connectTimeout=300", new() { ["Symphainy:Redis:ConnectTimeout"] = "00:00:00.300" });
        };
        var error = (await nobody.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("redis.unavailable");
        error.IsRetryable.Should().BeTrue();
    }

    private async Task<IHost> StartAsync(string? connectionString, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        var config = new Dictionary<string, string?> { ["Symphainy:Redis:KeyPrefix"] = _prefix };
        if (connectionString is not null)
        {
            config["Symphainy:Redis:ConnectionString"] = connectionString;
        }

        builder.Configuration.AddInMemoryCollection(config);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        new SymphainyBuilder(builder.Services).AddCapability<Doubling>("tests.double", "tests", "doubles a number").UseRedis();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public sealed record Number(int Value);

    public sealed class Doubling : Orchestrator<Number, int>
    {
        public override async Task<int> RunAsync(SagaContext saga, Number input)
        {
            var doubled = await saga.Step("double", _ => Task.FromResult(input.Value * 2));
            return await saga.Step("check", _ => Task.FromResult(doubled));
        }
    }
}
