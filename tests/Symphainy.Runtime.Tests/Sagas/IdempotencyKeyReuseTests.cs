using Microsoft.Extensions.Time.Testing;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// An idempotency key names one intent: resent unchanged it answers the first execution; resent with another type or
/// payload it is refused (<c>intake.idempotency_key_reused</c>) and records nothing, before and after a restart,
/// instead of silently answering the second intent with the first one's execution.
/// </summary>
public sealed class IdempotencyKeyReuseTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-keys-");
    private readonly Journal _journal = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(11)).Next<TenantId>();

    public void Dispose() => _data.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync() =>
        SagaTestHost.StartAsync(b => new TestSagas(b).Place(), _journal, _data.FullName, _time, _tenant);

    [Fact]
    public async Task The_same_key_with_another_payload_is_refused_and_records_nothing_also_after_a_restart()
    {
        SagaId saga;
        await using (var first = await StartAsync())
        {
            saga = (await first.SubmitAsync("orders.place", new OrderInput("k-1", 1), idempotencyKey: "k")).Execution;
            await first.CompletionAsync(saga);
            var records = first.Wal.NextPosition;

            var reused = async () => await first.SubmitAsync("orders.place", new OrderInput("k-2", 1), idempotencyKey: "k");
            (await reused.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("intake.idempotency_key_reused");
            first.Wal.NextPosition.Should().Be(records, "a refused intent records nothing");
            (await first.SubmitAsync("orders.place", new OrderInput("k-1", 1), idempotencyKey: "k")).Should().Match<Intake.IntentAcceptance>(a => a.Duplicate && a.Execution == saga);
        }

        // The key is restored from the log with what it was used for.
        await using var second = await StartAsync();
        var again = async () => await second.SubmitAsync("orders.place", new OrderInput("k-3", 1), idempotencyKey: "k");
        (await again.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("intake.idempotency_key_reused");
        (await second.SubmitAsync("orders.place", new OrderInput("k-1", 1), idempotencyKey: "k")).Execution.Should().Be(saga);
        _journal.Count("reserve").Should().Be(1);
    }
}
