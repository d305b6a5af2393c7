using System.Text;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Wal;

namespace Symphainy.Conformance.Wal;

/// <summary>
/// The contract every <see cref="IWriteAheadLog"/> adapter keeps. An adapter's test project derives from this
/// class and says how to create its log; every test here then runs against it.
/// </summary>
public abstract class WriteAheadLogConformance : IAsyncLifetime
{
    private readonly List<IWriteAheadLog> _created = [];

    /// <summary>The fake clock the log under test stamps records with.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Ids for records.</summary>
    protected IdGenerator Ids { get; } = new(new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)), new SeededRandomSource(11));

    /// <summary>Creates an empty log that uses <paramref name="time"/>, with default options (4 MiB max record).</summary>
    /// <param name="time">The clock.</param>
    protected abstract ValueTask<IWriteAheadLog> CreateLogAsync(FakeTimeProvider time);

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var log in _created)
        {
            if (log is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    private async Task<IWriteAheadLog> NewLogAsync()
    {
        var log = await CreateLogAsync(Time);
        _created.Add(log);
        return log;
    }

    private static WalEntry Entry(TenantId tenant, string text, WalRecordKind kind = WalRecordKind.StepCompleted) =>
        new(kind, tenant, Encoding.UTF8.GetBytes(text));

    private static async Task<List<WalRecord>> ReadAllAsync(IWriteAheadLog log, long from = 1)
    {
        var records = new List<WalRecord>();
        await foreach (var record in log.ReadAsync(from))
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task An_empty_log_starts_at_position_1_and_reads_nothing()
    {
        var log = await NewLogAsync();
        log.NextPosition.Should().Be(1);
        log.FirstPosition.Should().Be(1);
        (await ReadAllAsync(log)).Should().BeEmpty();
    }

    [Fact]
    public async Task Appended_records_read_back_exactly_with_consecutive_positions_and_the_clock_time()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        var session = Ids.Next<SessionId>();
        var saga = Ids.Next<SagaId>();
        var intent = Ids.Next<IntentId>();

        var first = await log.AppendAsync(new WalEntry(WalRecordKind.IntentReceived, tenant, "{\"a\":1}"u8.ToArray(), session, Intent: intent));
        Time.Advance(TimeSpan.FromSeconds(3));
        var second = await log.AppendAsync(new WalEntry(WalRecordKind.SagaStarted, tenant, ReadOnlyMemory<byte>.Empty, Saga: saga));

        first.Should().Be(1);
        second.Should().Be(2);
        log.NextPosition.Should().Be(3);
        var records = await ReadAllAsync(log);
        records.Should().HaveCount(2);
        records[0].Should().BeEquivalentTo(new { Position = 1L, Kind = WalRecordKind.IntentReceived, Tenant = tenant, Session = (SessionId?)session, Saga = (SagaId?)null, Intent = (IntentId?)intent, Timestamp = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero) });
        records[0].Payload.ToArray().Should().Equal("{\"a\":1}"u8.ToArray());
        records[1].Should().BeEquivalentTo(new { Position = 2L, Kind = WalRecordKind.SagaStarted, Session = (SessionId?)null, Saga = (SagaId?)saga, Intent = (IntentId?)null, Timestamp = new DateTimeOffset(2026, 3, 1, 12, 0, 3, TimeSpan.Zero) });
        records[1].Payload.Length.Should().Be(0);
    }

    [Fact]
    public async Task Every_record_kind_round_trips()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        foreach (var kind in Enum.GetValues<WalRecordKind>())
        {
            await log.AppendAsync(Entry(tenant, kind.ToString(), kind));
        }

        (await ReadAllAsync(log)).Select(r => r.Kind).Should().Equal(Enum.GetValues<WalRecordKind>());
    }

    [Fact]
    public async Task Concurrent_appends_get_unique_gapless_positions_and_read_back_in_position_order()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async writer =>
        {
            for (var i = 0; i < 40; i++)
            {
                var text = $"writer {writer} record {i}";
                var position = await log.AppendAsync(Entry(tenant, text));
                acknowledged.TryAdd(position, text).Should().BeTrue("positions are unique");
            }
        }));

        var records = await ReadAllAsync(log);
        records.Select(r => r.Position).Should().Equal(Enumerable.Range(1, 32 * 40).Select(i => (long)i));
        foreach (var record in records)
        {
            Encoding.UTF8.GetString(record.Payload.Span).Should().Be(acknowledged[record.Position], "each append's position holds its own record");
        }

        for (var writer = 0; writer < 32; writer++)
        {
            var own = records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Where(t => t.StartsWith($"writer {writer} ", StringComparison.Ordinal)).ToList();
            own.Should().Equal(Enumerable.Range(0, 40).Select(i => $"writer {writer} record {i}"), "one writer's appends keep their order");
        }
    }

    [Fact]
    public async Task Reading_from_a_position_returns_that_record_and_everything_after_it()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        for (var i = 1; i <= 10; i++)
        {
            await log.AppendAsync(Entry(tenant, $"r{i}"));
        }

        (await ReadAllAsync(log, 7)).Select(r => Encoding.UTF8.GetString(r.Payload.Span)).Should().Equal("r7", "r8", "r9", "r10");
        (await ReadAllAsync(log, 11)).Should().BeEmpty();
        (await ReadAllAsync(log, 500)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_subscriber_gets_existing_records_then_new_ones_as_they_are_appended()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        await log.AppendAsync(Entry(tenant, "before-1"));
        await log.AppendAsync(Entry(tenant, "before-2"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<string>();
        var subscription = Task.Run(async () =>
        {
            await foreach (var record in log.SubscribeAsync(2, stop.Token))
            {
                received.Add(Encoding.UTF8.GetString(record.Payload.Span));
                if (received.Count == 3)
                {
                    break;
                }
            }
        });

        await log.AppendAsync(Entry(tenant, "after-1"));
        await log.AppendAsync(Entry(tenant, "after-2"));
        await subscription.WaitAsync(TimeSpan.FromSeconds(20));

        received.Should().Equal("before-2", "after-1", "after-2");
    }

    [Fact]
    public async Task Cancelling_a_subscription_ends_it()
    {
        var log = await NewLogAsync();
        using var stop = new CancellationTokenSource();
        var subscription = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var _ in log.SubscribeAsync(1, stop.Token))
            {
                count++;
            }

            return count;
        });

        await stop.CancelAsync();
        (await subscription.WaitAsync(TimeSpan.FromSeconds(20))).Should().Be(0);
    }

    [Fact]
    public async Task A_checkpoint_never_removes_records_at_or_above_it_and_reading_below_the_first_kept_fails_typed()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        for (var i = 1; i <= 50; i++)
        {
            await log.AppendAsync(Entry(tenant, $"r{i}"));
        }

        var first = await log.CheckpointAsync(30);

        first.Should().BeInRange(1, 30);
        log.FirstPosition.Should().Be(first);
        (await ReadAllAsync(log, 30)).Select(r => r.Position).Should().Equal(Enumerable.Range(30, 21).Select(i => (long)i));
        (await ReadAllAsync(log, first)).First().Position.Should().Be(first);
        if (first > 1)
        {
            var act = async () => await ReadAllAsync(log, first - 1);
            (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("wal.position_truncated");
        }

        (await log.AppendAsync(Entry(tenant, "r51"))).Should().Be(51, "positions continue after a checkpoint");
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused_with_a_typed_error_and_nothing_is_written()
    {
        var log = await NewLogAsync();
        var tenant = Ids.Next<TenantId>();
        var act = async () => await log.AppendAsync(new WalEntry(WalRecordKind.AgentOutput, tenant, new byte[(4 * 1024 * 1024) + 1]));
        var error = (await act.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("wal.record_too_large");
        error.Kind.Should().Be(ErrorKind.Domain);
        log.NextPosition.Should().Be(1);
    }

    [Fact]
    public async Task A_record_without_a_real_tenant_is_refused()
    {
        var log = await NewLogAsync();
        var act = async () => await log.AppendAsync(new WalEntry(WalRecordKind.SagaStarted, default, ReadOnlyMemory<byte>.Empty));
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*tenant*");
        var badSaga = async () => await log.AppendAsync(new WalEntry(WalRecordKind.SagaStarted, Ids.Next<TenantId>(), ReadOnlyMemory<byte>.Empty, Saga: default(SagaId)));
        await badSaga.Should().ThrowAsync<ArgumentException>();
        log.NextPosition.Should().Be(1);
    }

    [Fact]
    public async Task A_large_record_round_trips_intact()
    {
        var log = await NewLogAsync();
        var payload = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(payload);
        await log.AppendAsync(new WalEntry(WalRecordKind.AgentOutput, Ids.Next<TenantId>(), payload));
        (await ReadAllAsync(log)).Single().Payload.ToArray().Should().Equal(payload);
    }
}
