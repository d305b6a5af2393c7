using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>The Redis adapters driven the way a host having a bad day drives them.</summary>
public sealed class RedisEdgeTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly IdGenerator _ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly string _prefix = RedisHotStateStoreConformanceTests.Prefix();

    [Fact]
    public async Task A_subscriber_resuming_from_a_position_the_stream_no_longer_keeps_is_told_so_and_one_within_it_resumes()
    {
        var bus = new RedisExecutionEventBus(redis.Connection, _prefix, TimeProvider.System, eventsKeptPerTenant: 100);
        var tenant = _ids.Next<TenantId>();
        var saga = _ids.Next<SagaId>();
        for (var position = 1; position <= 1_000; position++)
        {
            await bus.PublishAsync(new ExecutionEvent(position, ExecutionEventKind.StepCompleted, tenant, saga, SagaState.Running, $"s{position}", DateTimeOffset.UnixEpoch));
        }

        await bus.FlushAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var stale = async () =>
        {
            await foreach (var _ in bus.SubscribeFromAsync(tenant, 1, cancellationToken: patience.Token))
            {
            }
        };
        (await stale.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("events.invalid_position");

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var resumed = new List<long>();
        await foreach (var e in bus.SubscribeFromAsync(tenant, 990, cancellationToken: stop.Token))
        {
            resumed.Add(e.Position);
            if (e.Position == 1_000)
            {
                break;
            }
        }

        resumed.Should().Equal(Enumerable.Range(990, 11).Select(i => (long)i));
        var negative = () => bus.SubscribeFromAsync(tenant, 0);
        negative.Should().Throw<SymphainyException>().Which.Code.Should().Be("events.invalid_position");
    }

    [Fact]
    public async Task An_append_whose_token_is_cancelled_before_the_call_writes_nothing_and_a_disposed_log_refuses_typed()
    {
        var log = new RedisWriteAheadLog(redis.Connection, _prefix, TimeProvider.System);
        var tenant = _ids.Next<TenantId>();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var act = async () => await log.AppendAsync(new WalEntry(WalRecordKind.StepCompleted, tenant, "x"u8.ToArray()), cancelled.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        log.NextPosition.Should().Be(1);

        // Appends queued when the log is disposed are written (or fail) before it closes; later ones are refused.
        var queued = Enumerable.Range(0, 200).Select(i => log.AppendAsync(new WalEntry(WalRecordKind.StepCompleted, tenant, Encoding.UTF8.GetBytes($"r{i}"))).AsTask()).ToArray();
        await log.DisposeAsync();
        (await Task.WhenAll(queued)).Should().OnlyHaveUniqueItems().And.HaveCount(200);
        var late = async () => await log.AppendAsync(new WalEntry(WalRecordKind.StepCompleted, tenant, "late"u8.ToArray()));
        await late.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task The_health_check_is_healthy_while_the_server_answers_and_unhealthy_when_it_is_gone()
    {
        await using var server = await RedisServer.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:Redis:ConnectionString"] = server.ConnectionString + ",syncTimeout=500,asyncTimeout=500,connectRetry=0" })
            .Build());
        new Symphainy.Hosting.SymphainyBuilder(services).AddRuntime().UseRedis();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();

        (await health.CheckHealthAsync()).Entries["symphainy-redis"].Status.Should().Be(HealthStatus.Healthy);
        await server.KillAsync();
        var report = await health.CheckHealthAsync();
        report.Entries["symphainy-redis"].Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["symphainy-redis"].Description.Should().Contain("does not answer");
    }
}
