using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// A caller's cancellation: before the intent is recorded it leaves no trace; once it is recorded the saga runs and
/// its key is held whatever the token says. One key always means one recorded intent and one saga.
/// </summary>
public sealed class SubmissionCancellationTests : IDisposable
{
    private readonly Journal _journal = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-cancel-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 9, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(22)).Next<TenantId>();

    public void Dispose() => _directory.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync() => SagaTestHost.StartAsync(
        s => s.AddCapability<ThreeSlowSteps>("work.three", "work", "three yielding steps"),
        _journal,
        dataDirectory: _directory.FullName,
        time: _time,
        tenant: _tenant,
        services: services => services.AddSingleton<SlowWork>());

    private Intent Work(string key, string? idempotencyKey = null) =>
        new("work.three", _tenant, System.Text.Json.JsonSerializer.SerializeToElement(new WorkInput(key)), IdempotencyKey: idempotencyKey);

    [Fact]
    public async Task A_token_cancelled_before_the_call_records_nothing_and_leaves_the_key_free()
    {
        await using var host = await StartAsync();
        var before = host.Wal.NextPosition;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = async () => await host.Intake.SubmitAsync(Work("c-1", "key-1"), cancelled.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        host.Wal.NextPosition.Should().Be(before, "a cancelled submission records nothing");

        var accepted = await host.Intake.SubmitAsync(Work("c-1", "key-1"));
        accepted.Duplicate.Should().BeFalse("the cancelled call did not take the key");
        (await host.CompletionAsync(accepted.Execution)).State.Should().Be(SagaState.Completed);
    }

    [Fact]
    public async Task Racing_cancelled_and_live_submissions_of_one_key_record_one_intent_and_run_one_saga_across_a_restart()
    {
        var executions = new ConcurrentBag<SagaId>();
        var random = new Random(5);
        await using (var host = await StartAsync())
        {
            for (var round = 0; round < 20; round++)
            {
                var key = $"round-{round}";
                var calls = Enumerable.Range(0, 16).Select(async call =>
                {
                    using var token = new CancellationTokenSource();
                    var delay = random.Next(0, 4);
                    if (delay == 0)
                    {
                        await token.CancelAsync();
                    }

                    var submit = host.Intake.SubmitAsync(Work(key, key), token.Token).AsTask();
                    if (delay == 1)
                    {
                        await token.CancelAsync();
                    }
                    else if (delay == 2)
                    {
                        await Task.Yield();
                        await token.CancelAsync();
                    }

                    try
                    {
                        executions.Add((await submit).Execution);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                });
                await Task.WhenAll(calls);
            }

            await host.IdleAsync();
        }

        // After a restart (keys restored from the log), the same keys answer with the same sagas.
        await using var restarted = await StartAsync();
        await restarted.IdleAsync();
        var intents = new Dictionary<string, List<SagaId>>();
        await foreach (var record in restarted.Wal.ReadAsync(restarted.Wal.FirstPosition))
        {
            if (record.Kind == WalRecordKind.IntentReceived && WalPayloadCodec.Decode(record) is IntentReceivedPayload { IdempotencyKey: { } key })
            {
                (intents.TryGetValue(key, out var list) ? list : intents[key] = []).Add(record.Saga!.Value);
            }
        }

        intents.Values.Should().OnlyContain(sagas => sagas.Count == 1, "one key means one recorded intent");
        executions.Should().OnlyContain(saga => intents.Values.Any(s => s[0] == saga), "every acknowledgement names the recorded saga of its key");
        foreach (var (key, sagas) in intents)
        {
            (await restarted.Engine.GetAsync(_tenant, sagas[0]))!.State.Should().Be(SagaState.Completed, "a recorded intent's saga runs whatever its caller's token said");
            var again = await restarted.Intake.SubmitAsync(Work(key, key));
            again.Should().Match<IntentAcceptance>(a => a.Duplicate && a.Execution == sagas[0]);
        }
    }
}
