using System.Text;
using Microsoft.Extensions.Time.Testing;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>
/// A record fenced with a lease is written only while that lease is the writer's: after it expires, or after another
/// owner took the resource over (a higher token), the old writer's appends write nothing and fail with wal.fenced,
/// even when they share a batch with records that are written.
/// </summary>
public sealed class RedisFencingTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly IdGenerator _ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly string _prefix = RedisHotStateStoreConformanceTests.Prefix();

    [Fact]
    public async Task A_writer_whose_lease_expired_or_was_taken_over_records_nothing()
    {
        var leases = new RedisHotStateStore(redis.Connection, _prefix, _time, TimeSpan.FromMinutes(1));
        await using var log = new RedisWriteAheadLog(redis.Connection, _prefix, _time);
        var tenant = _ids.Next<TenantId>();
        var saga = _ids.Next<SagaId>();
        var resource = $"saga:{saga}";

        var first = (await leases.TryAcquireLeaseAsync(tenant, resource, "worker-1", TimeSpan.FromSeconds(10)))!;
        (await log.AppendAsync(Entry(tenant, saga, "by worker-1 while it holds the lease", first))).Should().Be(1);

        // Worker 1 pauses past its lease: its next record is refused.
        _time.Advance(TimeSpan.FromSeconds(11));
        var expired = await Fenced(log.AppendAsync(Entry(tenant, saga, "by worker-1 after its lease expired", first)));
        expired.Code.Should().Be("wal.fenced");
        expired.IsRetryable.Should().BeFalse();

        // Worker 2 takes the resource over with a higher token; worker 1's old lease stays refused.
        var second = (await leases.TryAcquireLeaseAsync(tenant, resource, "worker-2", TimeSpan.FromSeconds(10)))!;
        second.Token.Should().BeGreaterThan(first.Token);
        var appends = new[]
        {
            log.AppendAsync(Entry(tenant, saga, "by worker-2", second)).AsTask(),
            log.AppendAsync(Entry(tenant, saga, "by worker-1 with the old token", first)).AsTask(),
            log.AppendAsync(Entry(tenant, saga, "unfenced", null)).AsTask(),
        };
        (await Fenced(appends[1])).Code.Should().Be("wal.fenced");
        (await appends[0]).Should().Be(2);
        (await appends[2]).Should().Be(3);

        var records = new List<WalRecord>();
        await foreach (var record in log.ReadAsync(1))
        {
            records.Add(record);
        }

        records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Should().Equal("by worker-1 while it holds the lease", "by worker-2", "unfenced");
        records.Select(r => r.Position).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_fence_of_another_tenant_is_refused_and_a_log_local_to_one_host_refuses_fences()
    {
        var leases = new RedisHotStateStore(redis.Connection, _prefix, _time, TimeSpan.FromMinutes(1));
        await using var log = new RedisWriteAheadLog(redis.Connection, _prefix, _time);
        var tenant = _ids.Next<TenantId>();
        var other = _ids.Next<TenantId>();
        var saga = _ids.Next<SagaId>();
        var lease = (await leases.TryAcquireLeaseAsync(other, "saga", "worker", TimeSpan.FromSeconds(10)))!;

        var crossTenant = async () => await log.AppendAsync(Entry(tenant, saga, "x", lease));
        await crossTenant.Should().ThrowAsync<ArgumentException>().WithMessage("*own tenant*");

        var local = new InMemoryWriteAheadLog(_time);
        var unsupported = async () => await local.AppendAsync(Entry(other, saga, "x", lease));
        await unsupported.Should().ThrowAsync<NotSupportedException>().WithMessage("*does not check fences*");
        local.NextPosition.Should().Be(1);
    }

    private static WalEntry Entry(TenantId tenant, SagaId saga, string text, Lease? fence) =>
        new(WalRecordKind.StepCompleted, tenant, Encoding.UTF8.GetBytes(text), Saga: saga) { Fence = fence };

    private static async Task<SymphainyException> Fenced(ValueTask<long> append) => await Fenced(append.AsTask());

    private static async Task<SymphainyException> Fenced(Task<long> append)
    {
        var act = async () => await append;
        return (await act.Should().ThrowAsync<SymphainyException>()).Which;
    }
}
