using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Runtime.Tests.Sagas;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Wal;

/// <summary>
/// A checkpoint that runs after a record's append returned and before its owner holds it (intake's intent before its
/// saga is in the store, a session's record before the registry knows its position) must not remove it: on a file
/// log its sealed segment would be deleted, and a crash before the saga ended would lose an acknowledged intent.
/// The log here holds the caller in exactly that gap.
/// </summary>
public sealed class RetentionGapTests
{
    [Fact]
    public async Task A_checkpoint_between_an_intents_append_and_its_saga_starting_keeps_the_intent()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var log = new GapLog(new InMemoryWriteAheadLog(time), WalRecordKind.IntentReceived);
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<PlaceOrder>("orders.place"), new Journal(), time: time, services: s => s.AddSingleton<IWriteAheadLog>(log));

        var submitted = host.SubmitAsync("orders.place", new OrderInput("o-gap", 1)).AsTask();
        var position = await log.Appended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        submitted.IsCompleted.Should().BeFalse("the submission is held between its append and its saga starting");

        var first = await host.Services.GetRequiredService<IWalRetention>().CheckpointAsync();

        first.Should().BeLessThanOrEqualTo(position, "the intent's record is still needed by a saga about to start");
        log.Release.SetResult();
        var accepted = await submitted.WaitAsync(TimeSpan.FromSeconds(30));
        accepted.Position.Should().Be(position);
        (await host.CompletionAsync(accepted.Execution)).State.Should().Be(SagaState.Completed);
        var kept = new List<WalRecord>();
        await foreach (var record in host.Wal.ReadAsync(first))
        {
            kept.Add(record);
        }

        kept.Should().Contain(r => r.Position == position && r.Kind == WalRecordKind.IntentReceived);
    }

    [Fact]
    public async Task A_checkpoint_between_a_sessions_append_and_the_registry_holding_it_keeps_the_session()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var log = new GapLog(new InMemoryWriteAheadLog(time), WalRecordKind.SessionStarted);
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<PlaceOrder>("orders.place"), new Journal(), time: time, services: s => s.AddSingleton<IWriteAheadLog>(log));

        var created = host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(host.Tenant).AsTask();
        var position = await log.Appended.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var first = await host.Services.GetRequiredService<IWalRetention>().CheckpointAsync();

        first.Should().BeLessThanOrEqualTo(position, "the session's record is what restores it after a restart");
        log.Release.SetResult();
        await created.WaitAsync(TimeSpan.FromSeconds(30));
        (await host.Services.GetRequiredService<IWalRetention>().CheckpointAsync()).Should().BeLessThanOrEqualTo(position, "the registry holds it now");
    }

    /// <summary>A log that, once, keeps the caller of an append of one kind waiting after the record was written.</summary>
    private sealed class GapLog(IWriteAheadLog inner, WalRecordKind held) : IWriteAheadLog
    {
        private int _held;

        public TaskCompletionSource<long> Appended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long NextPosition => inner.NextPosition;

        public long FirstPosition => inner.FirstPosition;

        public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
        {
            var position = await inner.AppendAsync(entry, cancellationToken);
            if (entry.Kind == held && Interlocked.Exchange(ref _held, 1) == 0)
            {
                Appended.SetResult(position);
                await Release.Task;
            }

            return position;
        }

        public IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.ReadAsync(fromPosition, cancellationToken);

        public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.SubscribeAsync(fromPosition, cancellationToken);

        public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => inner.CheckpointAsync(position, cancellationToken);
    }
}
