using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>
/// Several hosts on one Redis log: a saga runs only where its lease is held, every record it writes is fenced with
/// that lease, and a host that lost the lease (paused past it, say) records nothing more for it.
/// </summary>
public sealed class RedisOwnershipTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private readonly string _prefix = RedisHotStateStoreConformanceTests.Prefix();

    [Fact]
    public async Task A_second_host_leaves_a_saga_the_first_runs_and_a_host_that_lost_the_lease_records_nothing_more()
    {
        Gated.Reset();
        using var first = await StartAsync();
        var accepted = await first.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("tests.gated", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(41))));
        var saga = accepted.Execution;
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // the first host runs the saga's step now

        // A second host starting on the same log finds the saga unfinished, but the first host holds its lease.
        using (var second = await StartAsync())
        {
            await second.Services.GetRequiredService<ISagaEngine>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
            (await second.Services.GetRequiredService<ISagaEngine>().GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Pending, "the second host waits for the lease the first host holds");
            (await RecordsAsync(second, saga)).Select(r => r.Kind).Should().Equal([WalRecordKind.IntentReceived, WalRecordKind.SagaStarted], "only the lease holder records");
            await second.StopAsync();
        }

        // The first host loses the lease while its step runs (as if it paused past it); someone else takes it.
        var leases = new RedisHotStateStore(redis.Connection, _prefix, TimeProvider.System, TimeSpan.FromMinutes(1));
        await redis.Connection.GetDatabase().KeyDeleteAsync($"{_prefix}:{{{_tenant.Value:N}}}:lease:saga/{saga}");
        var taken = (await leases.TryAcquireLeaseAsync(_tenant, $"saga/{saga}", "another-host", TimeSpan.FromMinutes(1)))!;

        Gated.Open.Release(); // the first host's step finishes: its record is refused
        await first.Services.GetRequiredService<ISagaEngine>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
        (await RecordsAsync(first, saga)).Select(r => r.Kind).Should().Equal([WalRecordKind.IntentReceived, WalRecordKind.SagaStarted], "a host without the lease records nothing more");

        // Once the lease is free, a host takes it over (the first host's takeover scan, or a host that starts) and
        // resumes the saga from what was recorded; it ends once.
        (await leases.ReleaseLeaseAsync(taken)).Should().BeTrue();
        Gated.Open.Release();
        using (var third = await StartAsync())
        {
            var ended = await third.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
            ended.State.Should().Be(SagaState.Completed);
            ended.Output!.Value.GetInt32().Should().Be(42);
            var records = await RecordsAsync(third, saga);
            records.Select(r => r.Kind).Should().Equal(
                WalRecordKind.IntentReceived, WalRecordKind.SagaStarted, WalRecordKind.StepCompleted, WalRecordKind.StepCompleted, WalRecordKind.SagaEnded);
            records.Where(r => r.Kind == WalRecordKind.StepCompleted).Select(r => ((StepCompletedPayload)WalPayloadCodec.Decode(r)).Name).Should().Equal("wait", "finish");
            await third.StopAsync();
        }

        await first.StopAsync();
    }

    [Fact]
    public async Task A_saga_whose_intent_is_acknowledged_late_still_runs_once_on_its_host()
    {
        // The intent record lands at once but its acknowledgement comes late (a slow or reconnecting connection), so
        // this host's own takeover scan finds the saga in the log before the intake schedules it: both paths reach
        // the saga, and only one of them may run it.
        using var host = await StartAsync(lateIntentAcks: true, leaseDuration: TimeSpan.FromSeconds(1));
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        var sagas = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            (await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(i))))).Execution));
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        foreach (var saga in sagas)
        {
            (await engine.WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // a second run, if there were one, would end by now
        foreach (var saga in sagas)
        {
            (await RecordsAsync(host, saga)).Select(r => r.Kind).Should().Equal(
                [WalRecordKind.IntentReceived, WalRecordKind.SagaStarted, WalRecordKind.StepCompleted, WalRecordKind.StepCompleted, WalRecordKind.SagaEnded], "saga {0} runs once", saga);
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task A_saga_another_host_ran_to_its_end_while_this_one_was_away_is_retired_not_run_again()
    {
        // This host records an intent and is then away (here: its append answers two seconds late, as when the
        // process pauses) before it takes the saga's lease. Meanwhile another host takes the saga over and ends it,
        // giving its lease back. When this host comes back, the lease is free again: taking it must not be read as
        // "nobody ran this saga".
        using var host = await StartAsync(lateIntentAcks: true, leaseDuration: TimeSpan.FromSeconds(30));
        var log = host.Services.GetRequiredService<IWriteAheadLog>();
        var from = log.NextPosition;
        var submitted = host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(21)))).AsTask();

        WalRecord? intent = null;
        while (intent is null)
        {
            await foreach (var record in log.ReadAsync(from))
            {
                intent = record.Kind == WalRecordKind.IntentReceived && record.Tenant == _tenant ? record : intent;
            }

            await Task.Delay(10);
        }

        var saga = intent.Saga!.Value;
        var received = (IntentReceivedPayload)WalPayloadCodec.Decode(intent);
        var other = new RedisWriteAheadLog(redis.Connection, _prefix, TimeProvider.System);
        var lease = (await other.Leases.TryAcquireLeaseAsync(_tenant, $"saga/{saga}", "another-host", TimeSpan.FromSeconds(30)))!;
        await other.AppendAsync(new WalEntry(WalRecordKind.SagaEnded, _tenant, WalPayloadCodec.Encode(new SagaEndedPayload(SagaState.Completed, received.Definition, received.Version, JsonSerializer.SerializeToUtf8Bytes(42))), null, saga, intent.Intent)
        {
            Fence = lease,
            ReleasesFence = true,
        });
        submitted.IsCompleted.Should().BeFalse("the other host ended the saga before this one heard its intent was recorded");

        (await submitted).Execution.Should().Be(saga);
        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Completed);
        ended.Output!.Value.GetInt32().Should().Be(42, "the end the other host recorded");
        await Task.Delay(TimeSpan.FromSeconds(1));
        (await RecordsAsync(host, saga)).Select(r => r.Kind).Should().Equal([WalRecordKind.IntentReceived, WalRecordKind.SagaEnded], "this host ran nothing of it");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_host_that_runs_no_sagas_queues_them_for_a_host_that_does_and_hears_how_they_ended()
    {
        using var worker = await StartAsync();
        using var front = await StartAsync(execute: false);
        var intake = front.Services.GetRequiredService<IIntentIntake>();
        var engine = front.Services.GetRequiredService<ISagaEngine>();
        var sagas = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            (i, (await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(i))))).Execution)));
        foreach (var (i, saga) in sagas)
        {
            var ended = await engine.WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
            ended.State.Should().Be(SagaState.Completed);
            ended.Output!.Value.GetInt32().Should().Be(2 * i, "the host that ran saga {0} recorded its output", saga);
            (await engine.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Completed);
            (await RecordsAsync(front, saga)).Select(r => r.Kind).Should().Equal(
                [WalRecordKind.IntentReceived, WalRecordKind.SagaStarted, WalRecordKind.StepCompleted, WalRecordKind.StepCompleted, WalRecordKind.SagaEnded], "saga {0} ran once", saga);
        }

        await front.StopAsync();
        await worker.StopAsync();
    }

    [Fact]
    public async Task A_host_that_stops_hands_its_unfinished_sagas_to_the_others_without_waiting_for_its_leases_to_expire()
    {
        Gated.Reset();
        var lease = TimeSpan.FromSeconds(30);
        using var first = await StartAsync(leaseDuration: lease);
        var saga = (await first.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("tests.gated", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(1))))).Execution;
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        using var second = await StartAsync(leaseDuration: lease);

        // A graceful stop suspends the saga, gives its lease back and leaves the work distribution: the second host's
        // next round (every third of a lease) takes the saga over, long before a lease would have expired.
        await first.StopAsync();
        Gated.Open.Release();
        var ended = await second.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(lease - TimeSpan.FromSeconds(5));
        ended.State.Should().Be(SagaState.Completed);
        ended.Output!.Value.GetInt32().Should().Be(2);
        await second.StopAsync();
    }

    private static async Task<List<WalRecord>> RecordsAsync(IHost host, SagaId saga)
    {
        var records = new List<WalRecord>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga)
            {
                records.Add(record);
            }
        }

        return records;
    }

    private async Task<IHost> StartAsync(bool lateIntentAcks = false, TimeSpan? leaseDuration = null, bool execute = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Redis:ConnectionString"] = redis.Server.ConnectionString,
            ["Symphainy:Redis:KeyPrefix"] = _prefix,
            ["Symphainy:Sagas:LeaseDuration"] = (leaseDuration ?? TimeSpan.FromSeconds(5)).ToString(),
            ["Symphainy:Sagas:Execute"] = execute.ToString(),
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IWalRetentionHold>(new KeepEverything());
        new SymphainyBuilder(builder.Services)
            .AddCapability<Gated>("tests.gated", "tests", "waits at a gate")
            .AddCapability<RedisHostTests.Doubling>("tests.double", "tests", "doubles a number")
            .UseRedis();
        if (lateIntentAcks)
        {
            builder.Services.AddSingleton<IWriteAheadLog>(new LateIntentAcks(new RedisWriteAheadLog(redis.Connection, _prefix, TimeProvider.System)));
        }

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private sealed class KeepEverything : IWalRetentionHold
    {
        public long RetainFrom => 1;
    }

    /// <summary>A Redis log that answers an intent's append two seconds after the record landed.</summary>
    private sealed class LateIntentAcks(RedisWriteAheadLog log) : ISharedWriteAheadLog
    {
        public IHotStateStore Leases => log.Leases;

        public ISagaWorkDistribution Work => log.Work;

        public long NextPosition => log.NextPosition;

        public long FirstPosition => log.FirstPosition;

        public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
        {
            var position = await log.AppendAsync(entry, cancellationToken);
            if (entry.Kind == WalRecordKind.IntentReceived)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
            }

            return position;
        }

        public IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default) => log.ReadAsync(fromPosition, cancellationToken);

        public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) => log.SubscribeAsync(fromPosition, cancellationToken);

        public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => log.CheckpointAsync(position, cancellationToken);
    }

    /// <summary>A step that says it started and then waits until the test opens the gate.</summary>
    public sealed class Gated : Orchestrator<RedisHostTests.Number, int>
    {
        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static void Reset()
        {
            Entered = new SemaphoreSlim(0);
            Open = new SemaphoreSlim(0);
        }

        public override async Task<int> RunAsync(SagaContext saga, RedisHostTests.Number input)
        {
            var value = await saga.Step("wait", async cancellationToken =>
            {
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return input.Value;
            });
            return await saga.Step("finish", _ => Task.FromResult(value + 1));
        }
    }
}
