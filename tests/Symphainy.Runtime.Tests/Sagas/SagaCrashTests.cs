using Symphainy.Wal.Records;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.CrashHost;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// Kills a real child process with SIGKILL while it runs many multi-step sagas (some on timers, some waiting for
/// signals), restarts it, many times; every acknowledged intent must end Completed exactly once, and no step may
/// be recorded twice.
/// </summary>
public sealed class SagaCrashTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-saga-crash-");

    public void Dispose() => _data.Delete(recursive: true);

    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_CRASH_KILLS"), CultureInfo.InvariantCulture, out var kills) ? kills : 22;

    [Fact]
    public async Task Every_acknowledged_intent_completes_exactly_once_across_repeated_SIGKILL()
    {
        var acknowledged = new Dictionary<SagaId, string>();
        var random = new Random(7);
        for (var run = 0; run < Kills; run++)
        {
            foreach (var (saga, type) in await RunAndKillAsync(run, TimeSpan.FromMilliseconds(random.Next(50, 500))))
            {
                acknowledged.TryAdd(saga, type);
            }

            await VerifyLogAsync(acknowledged, requireEnded: false);
        }

        acknowledged.Count.Should().BeGreaterThan(Kills * 5, "the child submitted work before each kill");
        acknowledged.Values.Distinct().Should().HaveCount(3, "plain, timer and signal sagas were all acknowledged");

        // A last, clean start: recovery resumes what the kills interrupted; signals the child never sent are sent now.
        using (var host = await SagaWorkload.StartHostAsync(_data.FullName))
        {
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            foreach (var (saga, type) in acknowledged.Where(a => a.Value == SagaWorkload.Signal))
            {
                try
                {
                    await engine.SignalAsync(SagaWorkload.Tenant, saga, "go", JsonSerializer.SerializeToElement("late"));
                }
                catch (SymphainyException e) when (e.Code == "saga.already_ended")
                {
                }
            }

            foreach (var saga in acknowledged.Keys)
            {
                var end = await engine.WaitForEndAsync(SagaWorkload.Tenant, saga).WaitAsync(TimeSpan.FromSeconds(60));
                end.State.Should().Be(SagaState.Completed, $"acknowledged saga {saga} ({acknowledged[saga]}) completes");
            }

            await host.StopAsync();
        }

        await VerifyLogAsync(acknowledged, requireEnded: true);
    }

    private async Task<List<(SagaId Saga, string Type)>> RunAndKillAsync(int run, TimeSpan killAfter) =>
        (await CrashHostProcess.RunAndKillAsync(killAfter, "sagas", _data.FullName, run.ToString(CultureInfo.InvariantCulture)))
            .Where(words => words.Length == 3 && SagaId.TryParse(words[1], out _))
            .Select(words => (SagaId.Parse(words[1]), words[2]))
            .ToList();

    /// <summary>Reads the log as it is on disk and checks what must hold after any crash.</summary>
    private async Task VerifyLogAsync(Dictionary<SagaId, string> acknowledged, bool requireEnded)
    {
        var intents = new HashSet<SagaId>();
        var ended = new Dictionary<SagaId, int>();
        var steps = new HashSet<(SagaId, int, string)>();
        await using (var log = new FileWriteAheadLog(Path.Combine(_data.FullName, "wal"), new WalOptions(), TimeProvider.System))
        {
            await foreach (var record in log.ReadAsync(log.FirstPosition))
            {
                if (record.Saga is not { } saga)
                {
                    continue;
                }

                switch (record.Kind)
                {
                    case WalRecordKind.IntentReceived:
                        intents.Add(saga).Should().BeTrue($"saga {saga} has one intent record");
                        break;
                    case WalRecordKind.SagaEnded:
                        ended[saga] = ended.GetValueOrDefault(saga) + 1;
                        ((SagaEndedPayload)WalPayloadCodec.Decode(record)).State.Should().Be(SagaState.Completed);
                        break;
                    case WalRecordKind.StepCompleted:
                        var step = (StepCompletedPayload)WalPayloadCodec.Decode(record);
                        steps.Add((saga, step.Index, step.StepKind.ToString()))
                            .Should().BeTrue($"step {step.Index} of saga {saga} is recorded once");
                        break;
                }
            }
        }

        ended.Where(e => e.Value != 1).Should().BeEmpty("a saga ends exactly once (and before the first kill none may have ended yet)");
        foreach (var saga in acknowledged.Keys)
        {
            intents.Should().Contain(saga, "an acknowledged intent is in the log");
            if (requireEnded)
            {
                ended.Should().ContainKey(saga);
            }
        }
    }
}
