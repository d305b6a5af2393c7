using System.Collections.Concurrent;
using System.Diagnostics;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>
/// Real host processes on one redis-server: three submit and run 2,000 sagas between them, one is killed with
/// SIGKILL mid-run, and the two still running take its unfinished sagas over once their leases expire. Every
/// acknowledged saga ends exactly once and no step is recorded twice.
/// </summary>
public sealed class RedisMultiProcessTests
{
    [Fact]
    public async Task Sagas_of_a_host_killed_mid_run_are_taken_over_by_the_hosts_still_running_and_every_saga_completes_exactly_once()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = RedisHotStateStoreConformanceTests.Prefix();
        var tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
        var acknowledged = new ConcurrentDictionary<SagaId, string>();
        var workers = new List<Worker>();
        try
        {
            foreach (var (name, count) in new[] { ("w1", 667), ("w2", 667), ("w3", 666) })
            {
                workers.Add(Worker.Start(server, prefix, name, count, tenant, acknowledged));
            }

            var victim = workers[1];
            await WaitUntilAsync(() => victim.Acknowledged >= 150, "the second host acknowledged 150 intents");
            victim.Kill(); // SIGKILL: no stop, no lease given back
            await using var log = new RedisWriteAheadLog(StackExchange.Redis.ConnectionMultiplexer.Connect(server.ConnectionString), prefix, TimeProvider.System);
            var atKill = await ReadAsync(log);
            var orphaned = acknowledged.Where(a => a.Value == "w2" && !atKill[a.Key].Any(r => r.Kind == WalRecordKind.SagaEnded)).Select(a => a.Key).ToList();
            orphaned.Should().NotBeEmpty("the kill lands while the second host runs some of its sagas");
            await Task.WhenAll(workers[0].Done, workers[2].Done).WaitAsync(TimeSpan.FromMinutes(2));

            // The hosts still running watch the sagas the others accept: once the killed host's leases expire, they
            // take its unfinished sagas over and finish them.
            Dictionary<SagaId, List<WalRecord>> bySaga = [];
            await WaitUntilAsync(
                () =>
                {
                    bySaga = ReadAsync(log).GetAwaiter().GetResult();
                    return acknowledged.Keys.All(saga => bySaga.TryGetValue(saga, out var records) && records.Any(r => r.Kind == WalRecordKind.SagaEnded));
                },
                "every acknowledged saga ended");

            acknowledged.Should().HaveCountGreaterThanOrEqualTo(1_333 + 150);
            foreach (var saga in acknowledged.Keys)
            {
                var records = bySaga[saga];
                records.Count(r => r.Kind == WalRecordKind.IntentReceived).Should().Be(1, "saga {0} was accepted once", saga);
                records.Where(r => r.Kind == WalRecordKind.SagaEnded).Select(r => ((SagaEndedPayload)WalPayloadCodec.Decode(r)).State)
                    .Should().Equal([SagaState.Completed], "saga {0} ends exactly once", saga);
                records.Where(r => r.Kind == WalRecordKind.StepCompleted).Select(r => ((StepCompletedPayload)WalPayloadCodec.Decode(r)).Name)
                    .Should().Equal(["one", "two", "three"], "saga {0} records each step once, in order", saga);
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Kill();
            }
        }
    }

    [Fact]
    public async Task An_intake_process_feeds_three_workers_one_killed_and_one_paused_mid_run_and_every_saga_completes_exactly_once()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = RedisHotStateStoreConformanceTests.Prefix();
        var tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
        var acknowledged = new ConcurrentDictionary<SagaId, string>();
        var processes = new List<Worker>();
        try
        {
            // Three hosts that run sagas and accept none, and one that accepts 2,000 and runs none.
            foreach (var name in new[] { "w1", "w2", "w3" })
            {
                processes.Add(Worker.Start(server, prefix, name, 0, tenant, acknowledged));
            }

            using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
            var work = (StackExchange.Redis.RedisKey)$"{{{prefix}}}:work:any";
            var intake = Worker.Start(server, prefix, "intake", 2_000, tenant, acknowledged, intakeOnly: true);
            processes.Add(intake);

            // Once the workers are busy: one is killed (SIGKILL), another paused (SIGSTOP) past its leases and its
            // membership, then let go (SIGCONT) after the others took its sagas over.
            await WaitUntilAsync(() => intake.Acknowledged >= 300, "the intake process acknowledged 300 intents");
            var busy = -1;
            await WaitUntilAsync(
                () =>
                {
                    // A worker that holds dispatched sagas it has not ended yet (the entries pending at its consumer).
                    var consumers = redis.GetDatabase().StreamConsumerInfo(work, "sagas") ?? [];
                    var holding = consumers.Where(c => c.PendingMessageCount > 0).Select(c => (string?)c.Name).FirstOrDefault();
                    busy = holding is { Length: > 3 } ? int.Parse(holding[1..2], System.Globalization.CultureInfo.InvariantCulture) - 1 : -1;
                    return busy >= 0;
                },
                "a worker holds sagas");
            var (killed, paused) = (processes[busy], processes[(busy + 1) % 3]);
            killed.Kill();
            paused.Pause();
            await Task.Delay(TimeSpan.FromSeconds(5)); // leases and membership last 2 seconds
            paused.Resume();

            await intake.Done.WaitAsync(TimeSpan.FromMinutes(3)); // the intake process saw every saga it accepted end
            await using var log = new RedisWriteAheadLog(redis, prefix, TimeProvider.System);
            await Task.Delay(TimeSpan.FromSeconds(1)); // what the paused worker still tries to record, it tries now
            var bySaga = await ReadAsync(log);
            acknowledged.Should().HaveCount(2_000);
            foreach (var saga in acknowledged.Keys)
            {
                var records = bySaga[saga];
                records.Count(r => r.Kind == WalRecordKind.IntentReceived).Should().Be(1, "saga {0} was accepted once", saga);
                records.Where(r => r.Kind == WalRecordKind.SagaEnded).Select(r => ((SagaEndedPayload)WalPayloadCodec.Decode(r)).State)
                    .Should().Equal([SagaState.Completed], "saga {0} ends exactly once", saga);
                records.Where(r => r.Kind == WalRecordKind.StepCompleted).Select(r => ((StepCompletedPayload)WalPayloadCodec.Decode(r)).Name)
                    .Should().Equal(["one", "two", "three"], "saga {0} records each step once, in order", saga);
            }

            // Nothing is left queued: every entry was removed once its saga's end was recorded.
            (await redis.GetDatabase().StreamLengthAsync(work)).Should().Be(0);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Kill();
            }
        }
    }

    private static async Task<Dictionary<SagaId, List<WalRecord>>> ReadAsync(RedisWriteAheadLog log)
    {
        var bySaga = new Dictionary<SagaId, List<WalRecord>>();
        await foreach (var record in log.ReadAsync(1))
        {
            if (record.Saga is { } saga)
            {
                (bySaga.TryGetValue(saga, out var list) ? list : bySaga[saga] = []).Add(record);
            }
        }

        return bySaga;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            deadline.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(2), "{0} within two minutes", what);
            await Task.Delay(200);
        }
    }

    private sealed class Worker
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _acknowledged;

        private Worker(Process process) => _process = process;

        public int Acknowledged => Volatile.Read(ref _acknowledged);

        public Task Done => _done.Task;

        public static Worker Start(RedisServer server, string prefix, string name, int count, TenantId tenant, ConcurrentDictionary<SagaId, string> acknowledged, bool intakeOnly = false)
        {
            var dll = Symphainy.Conformance.BuiltPrograms.Dll("tests/Symphainy.PublicWorks.Redis.Worker");
            string[] arguments = [dll, server.ConnectionString, prefix, name, count.ToString(System.Globalization.CultureInfo.InvariantCulture), tenant.ToString(), .. intakeOnly ? ["intake"] : Array.Empty<string>()];
            var start = new ProcessStartInfo("dotnet", arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(start)!;
            var worker = new Worker(process);
            process.OutputDataReceived += (_, line) =>
            {
                if (line.Data is { } text && text.StartsWith("ACK ", StringComparison.Ordinal))
                {
                    acknowledged[SagaId.Parse(text[4..])] = name;
                    Interlocked.Increment(ref worker._acknowledged);
                }
                else if (line.Data == "DONE")
                {
                    worker._done.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return worker;
        }

        public void Pause() => Signal("STOP");

        public void Resume() => Signal("CONT");

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // SIGKILL
                _process.WaitForExit();
            }
        }

        private void Signal(string signal)
        {
            using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            kill.ExitCode.Should().Be(0, "kill -{0} reaches the worker", signal);
        }
    }
}
