using Symphainy.Wal.Records;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed class SagaRecoveryTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-sagas-");
    private readonly Journal _journal = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(4)).Next<TenantId>();

    public void Dispose() => _data.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync(Action<TestSagas> sagas, Action<IServiceCollection>? services = null) =>
        SagaTestHost.StartAsync(b => sagas(new TestSagas(b)), _journal, _data.FullName, _time, _tenant, services);

    [Fact]
    public async Task A_restarted_host_resumes_a_waiting_saga_without_running_completed_steps_again()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            saga = (await first.SubmitAsync("orders.approve", new OrderInput("r-1", 3))).Execution;
            await first.WaitForStateAsync(saga, SagaState.Waiting);
        }

        _journal.Entries.Should().Equal("reserve r-1 x3");
        await using var second = await StartAsync(s => s.Approve());
        (await second.WaitForStateAsync(saga, SagaState.Waiting)).CurrentStep.Should().Be("approve");
        await second.Engine.SignalAsync(_tenant, saga, "approve", JsonSerializer.SerializeToElement(new Approval("grace")));
        await second.WaitForRecordsAsync(saga, WalRecordKind.StepCompleted, 3);
        await second.WaitForStateAsync(saga, SagaState.Waiting);
        _time.Advance(TimeSpan.FromHours(2));

        var end = await second.CompletionAsync(saga);
        end.State.Should().Be(SagaState.Completed);
        end.Output!.Value.GetString().Should().Be("v1 approved by grace");
        _journal.Entries.Should().Equal("reserve r-1 x3", "charge r-1");
        (await second.RecordsAsync(saga)).Count(r => r.Kind == WalRecordKind.StepCompleted && WalPayloadCodec.Decode(r) is StepCompletedPayload { Name: "reserve" })
            .Should().Be(1, "no step is recorded twice");
    }

    [Fact]
    public async Task A_timer_started_before_a_restart_fires_at_its_recorded_due_time()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            saga = (await first.SubmitAsync("orders.approve", new OrderInput("r-2", 1))).Execution;
            await first.WaitForStateAsync(saga, SagaState.Waiting);
            await first.Engine.SignalAsync(_tenant, saga, "approve", JsonSerializer.SerializeToElement(new Approval("ann")));
            await first.WaitForRecordsAsync(saga, WalRecordKind.StepCompleted, 3); // the timer is recorded as started
            _time.Advance(TimeSpan.FromMinutes(40));
        }

        await using var second = await StartAsync(s => s.Approve());
        await second.WaitForStateAsync(saga, SagaState.Waiting);
        _time.Advance(TimeSpan.FromMinutes(19));
        await second.IdleAsync();
        (await second.Engine.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Waiting, "the timer was due 60 minutes after it started, not 60 after the restart");
        _time.Advance(TimeSpan.FromMinutes(2));
        (await second.CompletionAsync(saga)).State.Should().Be(SagaState.Completed);
    }

    [Fact]
    public async Task An_acknowledged_intent_whose_saga_never_started_is_started_on_recovery()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            // Record an intent as intake does, without routing it: the process died right after the acknowledgement.
            saga = new IdGenerator(_time, new SeededRandomSource(8)).Next<SagaId>();
            var intent = new IdGenerator(_time, new SeededRandomSource(9)).Next<IntentId>();
            var payload = WalPayloadCodec.Encode(new IntentReceivedPayload("orders.place", "orders.place", 1, JsonSerializer.SerializeToUtf8Bytes(new OrderInput("r-3", 1))));
            await first.Wal.AppendAsync(new WalEntry(WalRecordKind.IntentReceived, _tenant, payload, Saga: saga, Intent: intent));
        }

        await using var second = await StartAsync(s => s.Approve().Place());
        var end = await second.CompletionAsync(saga);
        end.State.Should().Be(SagaState.Completed);
        _journal.Entries.Should().Equal("reserve r-3 x1", "charge r-3", "ship r-3");
    }

    [Fact]
    public async Task A_saga_stays_pinned_to_the_version_it_started_with_across_a_restart()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            saga = (await first.SubmitAsync("orders.approve", new OrderInput("r-4", 1))).Execution;
            await first.WaitForStateAsync(saga, SagaState.Waiting);
        }

        await using var second = await StartAsync(s => s.Approve().ApproveV2());
        await second.WaitForStateAsync(saga, SagaState.Waiting);
        (await second.Engine.GetAsync(_tenant, saga))!.Version.Should().Be(1);
        await second.Engine.SignalAsync(_tenant, saga, "approve", JsonSerializer.SerializeToElement(new Approval("kim")));
        await second.WaitForRecordsAsync(saga, WalRecordKind.StepCompleted, 3);
        _time.Advance(TimeSpan.FromHours(2));
        (await second.CompletionAsync(saga)).Output!.Value.GetString().Should().Be("v1 approved by kim");
    }

    [Fact]
    public async Task Recovery_hooks_see_before_and_after_resume_and_poison_for_non_deterministic_code()
    {
        SagaId kept, changed;
        await using (var first = await StartAsync(s => s.Approve().Place()))
        {
            kept = (await first.SubmitAsync("orders.approve", new OrderInput("r-5", 1))).Execution;
            await first.WaitForStateAsync(kept, SagaState.Waiting);
        }

        var observer = new RecordingObserver();
        await using (var second = await StartAsync(s => s.Approve(), services => services.AddSingleton<ISagaRecoveryObserver>(observer)))
        {
            await second.WaitForStateAsync(kept, SagaState.Waiting);
            observer.Calls.Should().Equal($"before {kept}", $"after {kept}");
        }

        // The same saga name and version now runs code whose first step differs from the record.
        changed = kept;
        var last = new RecordingObserver();
        await using var third = await StartAsync(s => s.Changed(), services => services.AddSingleton<ISagaRecoveryObserver>(last));
        await third.IdleAsync();

        last.Calls.Should().Contain($"poison {changed} saga.nondeterministic");
        var snapshot = await third.Engine.GetAsync(_tenant, changed);
        snapshot!.State.Should().Be(SagaState.Pending);
        snapshot.Error!.Code.Should().Be("saga.nondeterministic");
        (await third.RecordsAsync(changed)).Should().NotContain(r => r.Kind == WalRecordKind.SagaEnded, "a poisoned saga stays unfinished, to resume once fixed");
    }

    [Fact]
    public async Task Replayed_code_that_returns_before_a_recorded_step_is_non_deterministic_and_says_which_step()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            saga = (await first.SubmitAsync("orders.approve", new OrderInput("r-9", 1))).Execution;
            await first.WaitForStateAsync(saga, SagaState.Waiting);
        }

        var observer = new PoisonCapture();
        await using var second = await StartAsync(s => s.Shortened(), services => services.AddSingleton<ISagaRecoveryObserver>(observer));
        await second.IdleAsync();

        var problem = observer.Problem.Should().BeOfType<SagaNondeterminismException>().Subject;
        (problem.StepIndex, problem.RecordedKind, problem.RecordedName, problem.CalledName).Should().Be((1, StepKind.Wait, "approve", (string?)null));
        problem.Message.Should().Be($"Saga {saga} (orders.approve v1) returned without calling step 1, but the log recorded Wait 'approve' there.");
        (await second.RecordsAsync(saga)).Should().NotContain(r => r.Kind == WalRecordKind.SagaEnded, "the saga is poisoned, not completed with a recorded step dropped");
    }

    private sealed class PoisonCapture : ISagaRecoveryObserver
    {
        public SymphainyException? Problem { get; private set; }

        public ValueTask BeforeResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask AfterResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnPoisonAsync(SagaSnapshot saga, SymphainyException problem, CancellationToken cancellationToken)
        {
            Problem = problem;
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_saga_whose_definition_is_missing_waits_unfinished_and_resumes_once_it_is_deployed()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Approve()))
        {
            saga = (await first.SubmitAsync("orders.approve", new OrderInput("r-6", 1))).Execution;
            await first.WaitForStateAsync(saga, SagaState.Waiting);
        }

        var observer = new RecordingObserver();
        await using (var without = await StartAsync(s => s.Place(), services => services.AddSingleton<ISagaRecoveryObserver>(observer)))
        {
            observer.Calls.Should().Equal($"poison {saga} saga.definition_missing");
            (await without.Engine.GetAsync(_tenant, saga))!.Error!.Code.Should().Be("saga.definition_missing");
        }

        await using var with = await StartAsync(s => s.Approve());
        (await with.WaitForStateAsync(saga, SagaState.Waiting)).CurrentStep.Should().Be("approve");
    }

    [Fact]
    public async Task Idempotency_keys_survive_a_restart()
    {
        SagaId saga;
        await using (var first = await StartAsync(s => s.Place()))
        {
            saga = (await first.SubmitAsync("orders.place", new OrderInput("r-7", 1), idempotencyKey: "k-1")).Execution;
            await first.CompletionAsync(saga);
        }

        await using var second = await StartAsync(s => s.Place());
        var again = await second.SubmitAsync("orders.place", new OrderInput("r-7", 1), idempotencyKey: "k-1");
        again.Duplicate.Should().BeTrue();
        again.Execution.Should().Be(saga);
        (await second.Engine.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Completed, "ended sagas are known after a restart");
        _journal.Count("reserve").Should().Be(1);
    }

    [Fact]
    public async Task A_start_restores_the_idempotency_keys_of_the_window_together_not_one_round_trip_after_another()
    {
        var sagas = new List<SagaId>();
        await using (var first = await StartAsync(s => s.Place()))
        {
            for (var i = 0; i < 300; i++)
            {
                sagas.Add((await first.SubmitAsync("orders.place", new OrderInput($"r-{i}", 1), idempotencyKey: $"k-{i}")).Execution);
            }

            foreach (var saga in sagas)
            {
                await first.CompletionAsync(saga);
            }
        }

        // A store that answers only once every restore of the batch is on its way, as a remote store answers a pipeline:
        // restores sent one after another would never get an answer.
        var store = new BatchAnsweringStore(batch: 256);
        await using var second = await StartAsync(s => s.Place(), services => services.AddSingleton<Symphainy.State.IHotStateStore>(store));
        store.MostInFlight.Should().Be(256, "restores go out in batches of 256");
        for (var i = 0; i < 300; i++)
        {
            var again = await second.SubmitAsync("orders.place", new OrderInput($"r-{i}", 1), idempotencyKey: $"k-{i}");
            again.Duplicate.Should().BeTrue($"key k-{i} was restored");
            again.Execution.Should().Be(sagas[i]);
        }
    }

    /// <summary>An in-memory store whose writes during start complete only in batches (the last, smaller one once its count is reached or start ends).</summary>
    private sealed class BatchAnsweringStore(int batch) : Symphainy.State.IHotStateStore
    {
        private readonly Symphainy.State.InMemoryHotStateStore _inner = new(TimeProvider.System);
        private readonly List<TaskCompletionSource> _waiting = [];
        private int _inFlight;
        private int _sets;

        public int MostInFlight { get; private set; }

        public async ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        {
            TaskCompletionSource? wait = null;
            lock (_waiting)
            {
                _sets++;
                if (_sets <= 300)
                {
                    // The 300 restores: the first 256 are answered together once all are on their way, then the last 44.
                    MostInFlight = Math.Max(MostInFlight, ++_inFlight);
                    wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiting.Add(wait);
                    if (_waiting.Count == batch || _sets == 300)
                    {
                        foreach (var waiting in _waiting)
                        {
                            waiting.TrySetResult();
                        }

                        _waiting.Clear();
                        _inFlight = 0;
                    }
                }
            }

            if (wait is not null)
            {
                await wait.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            return await _inner.SetAsync(tenant, key, value, ttl, cancellationToken);
        }

        public ValueTask<Symphainy.State.HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default) => _inner.GetAsync(tenant, key, cancellationToken);

        public ValueTask<Symphainy.State.CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
            _inner.CompareAndSetAsync(tenant, key, value, expectedVersion, ttl, cancellationToken);

        public ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default) => _inner.DeleteAsync(tenant, key, expectedVersion, cancellationToken);

        public ValueTask<Symphainy.State.Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default) =>
            _inner.TryAcquireLeaseAsync(tenant, resource, owner, duration, cancellationToken);

        public ValueTask<Symphainy.State.Lease?> RenewLeaseAsync(Symphainy.State.Lease lease, TimeSpan duration, CancellationToken cancellationToken = default) => _inner.RenewLeaseAsync(lease, duration, cancellationToken);

        public ValueTask<bool> ReleaseLeaseAsync(Symphainy.State.Lease lease, CancellationToken cancellationToken = default) => _inner.ReleaseLeaseAsync(lease, cancellationToken);
    }

    private sealed class RecordingObserver : ISagaRecoveryObserver
    {
        private readonly List<string> _calls = [];

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return _calls.ToArray();
                }
            }
        }

        public ValueTask BeforeResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => Add($"before {saga.Id}");

        public ValueTask AfterResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => Add($"after {saga.Id}");

        public ValueTask OnPoisonAsync(SagaSnapshot saga, SymphainyException problem, CancellationToken cancellationToken) => Add($"poison {saga.Id} {problem.Code}");

        private ValueTask Add(string call)
        {
            lock (_calls)
            {
                _calls.Add(call);
            }

            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Short names for registering the test realm's sagas.</summary>
public sealed class TestSagas(Symphainy.Hosting.ISymphainyBuilder builder)
{
    public TestSagas Approve()
    {
        builder.AddSaga<ApproveOrder>("orders.approve", 1);
        return this;
    }

    public TestSagas ApproveV2()
    {
        builder.AddSaga<ApproveOrderV2>("orders.approve", 2);
        return this;
    }

    public TestSagas Place()
    {
        builder.AddSaga<PlaceOrder>("orders.place");
        return this;
    }

    public TestSagas Shortened()
    {
        builder.AddSaga<ApproveOrderShortened>("orders.approve", 1);
        return this;
    }

    public TestSagas Changed()
    {
        builder.AddSaga<ApproveOrderChanged>("orders.approve", 1);
        return this;
    }
}
