using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// A stop is not a cancellation: stopping or disposing a host under load fails nothing that was acknowledged, and
/// every acknowledged saga runs to its end once after the next start.
/// </summary>
public sealed class HostStopTests : IDisposable
{
    private readonly Journal _journal = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-stop-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 9, 1, 8, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(21)).Next<TenantId>();

    public void Dispose() => _directory.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync(string? directory = null) => SagaTestHost.StartAsync(
        s => s.AddCapability<ThreeSlowSteps>("work.three", "work", "three yielding steps"),
        _journal,
        dataDirectory: directory ?? _directory.FullName,
        time: _time,
        tenant: _tenant,
        services: services => services.AddSingleton<SlowWork>());

    [Fact]
    public async Task Intake_refuses_with_a_retryable_host_stopping_once_stop_began_and_records_nothing()
    {
        var host = await StartAsync();
        var before = host.Wal.NextPosition;
        await host.StopAsync();

        var act = async () => await host.SubmitAsync("work.three", new WorkInput("late"));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Should().Match<SymphainyException>(e => e.Code == "host.stopping" && e.IsRetryable);
        host.Wal.NextPosition.Should().Be(before);
        await host.DisposeWithoutStopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_or_disposing_under_load_fails_no_acknowledged_saga_and_every_one_completes_once_after_restart(bool disposeWithoutStop)
    {
        var acknowledged = new ConcurrentDictionary<SagaId, string>();
        var host = await StartAsync();
        using var stopSubmitting = new CancellationTokenSource();
        var submitters = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; !stopSubmitting.IsCancellationRequested; i++)
            {
                try
                {
                    var accepted = await host.SubmitAsync("work.three", new WorkInput($"w{writer}-{i}"));
                    acknowledged[accepted.Execution] = $"w{writer}-{i}";
                }
                catch (SymphainyException e) when (e.Code is "host.stopping")
                {
                    return;
                }
            }
        })).ToArray();

        // Let work pile up, then take the host away while submissions and steps are in flight.
        while (acknowledged.Count < 300)
        {
            await Task.Yield();
        }

        if (disposeWithoutStop)
        {
            await host.DisposeWithoutStopAsync();
        }
        else
        {
            await host.StopAsync();
            await host.DisposeWithoutStopAsync();
        }

        await stopSubmitting.CancelAsync();
        await Task.WhenAll(submitters).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);

        await using var restarted = await StartAsync();
        await restarted.IdleAsync();
        var ended = new Dictionary<SagaId, int>();
        var failed = new List<string>();
        await foreach (var record in restarted.Wal.ReadAsync(restarted.Wal.FirstPosition))
        {
            if (record.Kind == WalRecordKind.SagaEnded && WalPayloadCodec.Decode(record) is SagaEndedPayload end)
            {
                ended[record.Saga!.Value] = ended.GetValueOrDefault(record.Saga!.Value) + 1;
                if (end.State != SagaState.Completed)
                {
                    failed.Add($"{record.Saga}: {end.State} {end.Error?.Code} {end.Error?.Message}");
                }
            }
        }

        failed.Should().BeEmpty("a stop is not a failure");
        acknowledged.Keys.Should().OnlyContain(saga => ended.ContainsKey(saga), "every acknowledged saga ran to its end after the restart");
        ended.Values.Should().OnlyContain(count => count == 1, "a saga ends once");
        foreach (var (saga, key) in acknowledged)
        {
            var snapshot = await restarted.Engine.GetAsync(_tenant, saga);
            snapshot!.State.Should().Be(SagaState.Completed);
            snapshot.GetOutput<string>().Should().Be($"one:{key} two:{key} three:{key}");
        }
    }

    [Fact]
    public async Task Sagas_waiting_on_a_timer_when_the_host_stops_resume_and_finish_after_restart()
    {
        SagaId saga;
        var host = await SagaTestHost.StartAsync(s => s.AddSaga<ApproveOrder>("orders.approve"), _journal, _directory.FullName, _time, _tenant);
        saga = (await host.SubmitAsync("orders.approve", new OrderInput("t-1", 1))).Execution;
        await host.WaitForStateAsync(saga, SagaState.Waiting);
        await host.Engine.SignalAsync(_tenant, saga, "approve", JsonSerializer.SerializeToElement(new Approval("bo")));
        await host.WaitForStateAsync(saga, SagaState.Waiting); // now on the cool-off timer
        await host.StopAsync();
        (await host.RecordsAsync(saga)).Should().NotContain(r => r.Kind == WalRecordKind.SagaEnded || r.Kind == WalRecordKind.StepFailed);
        await host.DisposeWithoutStopAsync();

        await using var restarted = await SagaTestHost.StartAsync(s => s.AddSaga<ApproveOrder>("orders.approve"), _journal, _directory.FullName, _time, _tenant);
        _time.Advance(TimeSpan.FromHours(2));
        (await restarted.CompletionAsync(saga)).State.Should().Be(SagaState.Completed);
    }
}
