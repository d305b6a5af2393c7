using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>
/// Regression tests for the defects the deterministic simulation found, each reproduced directly on the Runtime's
/// in-memory ports with one fault placed where the simulation placed it.
/// </summary>
[Collection(SimulationRunsAlone.Name)]
public sealed class FoundBySimulationTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Found by seed 7: a signal sent while the saga's end record was being written was recorded after the end. The
    /// caller was acknowledged, the signal never delivered, the live events said the saga ran again after it ended, and
    /// every later recovery found records of a saga without its intent.
    /// </summary>
    [Fact]
    public async Task A_signal_sent_while_the_saga_records_its_end_is_refused_and_nothing_is_recorded_after_the_end()
    {
        var wal = new HeldEndLog(new InMemoryWriteAheadLog(new FakeTimeProvider()));
        await using var host = await TestHost.StartAsync(services => services.AddSingleton<IWriteAheadLog>(wal));
        var accepted = await host.Intake.SubmitAsync(host.Intent(new FlowInput(0, -1, 0, false, 0, false, 0)));
        await wal.EndWritten.Task.WaitAsync(Guard); // the end record is in the log, its append not yet complete

        try
        {
            var signal = async () => await host.Engine.SignalAsync(host.Tenant, accepted.Execution, "go", JsonSerializer.SerializeToElement(1));
            (await signal.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be(ErrorCodes.SagaAlreadyEnded.Code);
        }
        finally
        {
            wal.Release.TrySetResult(); // the host's stop waits for the saga's last record
        }

        var ended = await host.Engine.WaitForEndAsync(host.Tenant, accepted.Execution).WaitAsync(Guard);
        ended.State.Should().Be(SagaState.Completed);
        var records = new List<WalRecord>();
        await foreach (var record in wal.ReadAsync(1))
        {
            records.Add(record);
        }

        records.Where(r => r.Saga == accepted.Execution).Last().Kind.Should().Be(WalRecordKind.SagaEnded, "nothing of a saga is recorded after its end");
    }

    /// <summary>
    /// Found by seed 11: when the hot state store applied an idempotency key's claim but its answer was lost, the
    /// submission failed and left the claim behind; every later submission of the key was acknowledged as a duplicate of
    /// that claim (position 0), an intent that was never recorded and never ran.
    /// </summary>
    [Fact]
    public async Task A_claim_left_behind_by_a_failed_submission_never_answers_for_an_intent_that_was_not_recorded()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var store = new LosesFirstClaimAnswer(new InMemoryHotStateStore(time));
        await using var host = await TestHost.StartAsync(services => services.AddSingleton<IHotStateStore>(store), time);
        var intent = host.Intent(new FlowInput(0, -1, 0, false, 0, false, 0)) with { IdempotencyKey = "order-1" };

        var first = async () => await host.Intake.SubmitAsync(intent);
        (await first.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be(SimHotStore.Unavailable.Code);

        // The retry waits while the claim may still be another submission's, then takes it over and records the intent.
        var retry = host.Intake.SubmitAsync(intent).AsTask();
        for (var i = 0; i < 120 && !retry.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(retry, Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System));
        }

        var accepted = await retry.WaitAsync(Guard);
        accepted.Duplicate.Should().BeFalse($"the first submission recorded nothing ({accepted}, {store.Calls})");
        accepted.Position.Should().BeGreaterThan(0);
        (await host.Engine.WaitForEndAsync(host.Tenant, accepted.Execution).WaitAsync(Guard)).State.Should().Be(SagaState.Completed);
        var again = await host.Intake.SubmitAsync(intent).AsTask().WaitAsync(Guard);
        again.Should().Be(accepted with { Duplicate = true }, "once recorded, the key answers with that intent");
    }

    /// <summary>Appends every record; a saga's end record is written, then its append waits until released.</summary>
    private sealed class HeldEndLog(IWriteAheadLog inner) : IWriteAheadLog
    {
        public TaskCompletionSource EndWritten { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long NextPosition => inner.NextPosition;

        public long FirstPosition => inner.FirstPosition;

        public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
        {
            var position = await inner.AppendAsync(entry with { Payload = entry.Payload.ToArray() }, cancellationToken);
            if (entry.Kind == WalRecordKind.SagaEnded)
            {
                EndWritten.TrySetResult();
                await Release.Task;
            }

            return position;
        }

        public IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.ReadAsync(fromPosition, cancellationToken);

        public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.SubscribeAsync(fromPosition, cancellationToken);

        public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => inner.CheckpointAsync(position, cancellationToken);
    }

    /// <summary>The first compare-and-set of an idempotency key is applied, and then its answer is lost.</summary>
    private sealed class LosesFirstClaimAnswer(InMemoryHotStateStore inner) : IHotStateStore
    {
        private int _lost;

        public string Calls { get; private set; } = "";

        public async ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
        {
            var result = await inner.CompareAndSetAsync(tenant, key, value, expectedVersion, ttl, cancellationToken);
            Calls += $"cas({key},{expectedVersion})={result} ";
            if (key.StartsWith("idempotency/", StringComparison.Ordinal) && Interlocked.Exchange(ref _lost, 1) == 0)
            {
                throw new SymphainyException(SimHotStore.Unavailable, "The answer was lost.");
            }

            return result;
        }

        public async ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default)
        {
            var entry = await inner.GetAsync(tenant, key, cancellationToken);
            Calls += $"get({key})={(entry is null ? "null" : System.Text.Encoding.UTF8.GetString(entry.Value.Span))} ";
            return entry;
        }

        public ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) => inner.SetAsync(tenant, key, value, ttl, cancellationToken);

        public ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(tenant, key, expectedVersion, cancellationToken);

        public ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default) => inner.TryAcquireLeaseAsync(tenant, resource, owner, duration, cancellationToken);

        public ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default) => inner.RenewLeaseAsync(lease, duration, cancellationToken);

        public ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);
    }

    /// <summary>The Runtime with the simulation's capability, on the thread pool, started and disposed as a host does.</summary>
    private sealed class TestHost : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly IHostedService[] _hosted;

        private TestHost(ServiceProvider services, IHostedService[] hosted, TenantId tenant)
        {
            _services = services;
            _hosted = hosted;
            Tenant = tenant;
        }

        public TenantId Tenant { get; }

        public IIntentIntake Intake => _services.GetRequiredService<IIntentIntake>();

        public ISagaEngine Engine => _services.GetRequiredService<ISagaEngine>();

        public static async Task<TestHost> StartAsync(Action<IServiceCollection> configure, FakeTimeProvider? time = null)
        {
            time ??= new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
            services.AddLogging();
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<IWriteAheadLog>(new InMemoryWriteAheadLog(time)); // nothing outlives the test
            configure(services);
            new SymphainyBuilder(services).AddRuntime().AddCapability<SimFlow>("sim.flow", "sim", "Simulated work.");
            var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            return new TestHost(provider, hosted, new IdGenerator(time, new SeededRandomSource(5)).Next<TenantId>());
        }

        public Intent Intent(FlowInput input) => new("sim.flow", Tenant, JsonSerializer.SerializeToElement(input, SimChecker.Json));

        public async ValueTask DisposeAsync()
        {
            foreach (var service in _hosted.Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }

            await _services.DisposeAsync();
        }
    }
}
