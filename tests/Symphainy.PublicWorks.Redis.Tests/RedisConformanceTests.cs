using Microsoft.Extensions.Time.Testing;
using Symphainy.Conformance.Events;
using Symphainy.Conformance.State;
using Symphainy.Conformance.Wal;
using Symphainy.Events;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis.Tests;

public sealed class RedisHotStateStoreConformanceTests(RedisServerFixture redis) : HotStateStoreConformance, IClassFixture<RedisServerFixture>
{
    protected override ValueTask<IHotStateStore> CreateStoreAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IHotStateStore>(new RedisHotStateStore(redis.Connection, Prefix(), time, TimeSpan.FromMinutes(1)));

    internal static string Prefix() => $"t{Guid.CreateVersion7():N}";
}

public sealed class RedisWriteAheadLogConformanceTests(RedisServerFixture redis) : WriteAheadLogConformance, IClassFixture<RedisServerFixture>
{
    protected override ValueTask<IWriteAheadLog> CreateLogAsync(FakeTimeProvider time) =>
        ValueTask.FromResult<IWriteAheadLog>(new RedisWriteAheadLog(redis.Connection, RedisHotStateStoreConformanceTests.Prefix(), time));
}

public sealed class RedisExecutionEventBusConformanceTests(RedisServerFixture redis) : ExecutionEventBusConformance, IClassFixture<RedisServerFixture>
{
    protected override bool PublishersWaitForSlowSubscribers => false;

    protected override ValueTask<IExecutionEventBus> CreateBusAsync(int capacity) =>
        ValueTask.FromResult<IExecutionEventBus>(new RedisExecutionEventBus(redis.Connection, RedisHotStateStoreConformanceTests.Prefix(), TimeProvider.System));
}
