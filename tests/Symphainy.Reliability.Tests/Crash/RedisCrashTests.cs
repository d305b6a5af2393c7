using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Symphainy.Conformance;
using Symphainy.PublicWorks.Redis;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>
/// Crash consistency on the distributed shape: worker processes share one real redis-server (<c>appendfsync always</c>)
/// for their log, hot state, leases and events, and run the mixed saga workload. Workers are killed with SIGKILL at
/// seeded random points and replaced (by the same instance name or a new one); in another test the server itself is
/// killed and started again on its data directory. Every acknowledged intent must be in the log at its position after
/// each kill, and complete exactly once in the end, with no step recorded twice.
/// </summary>
public sealed class RedisCrashTests(ITestOutputHelper output)
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private readonly string _prefix = "rel" + Guid.NewGuid().ToString("N")[..10];
    private readonly Dictionary<WorkloadProcess, string> _names = [];

    /// <summary>
    /// Whether a killed worker may come back under its old name (and so resubmit its idempotency keys, as a client
    /// retrying after a crash does).
    /// </summary>
    private const bool ReuseNames = true;

    [Fact]
    public async Task Workers_killed_at_random_points_lose_no_acknowledged_saga_and_every_saga_completes_exactly_once()
    {
        var seed = CrashSeed.For(nameof(Workers_killed_at_random_points_lose_no_acknowledged_saga_and_every_saga_completes_exactly_once), output);
        var random = new Random(seed);
        await using var server = await RedisServer.StartAsync(operationTimeout: TimeSpan.FromSeconds(2), startupWait: TimeSpan.FromSeconds(30));
        var kills = ReliabilitySuite.Budget(8, 200);
        var acknowledged = new Dictionary<SagaId, (string, long)>();
        var violations = new List<string>();
        var workers = new List<WorkloadProcess>();
        var names = 0;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                workers.Add(Worker(server, $"w{names++}", random, submit: true));
            }

            foreach (var worker in workers)
            {
                (await worker.WaitAsync(worker.Ready, TimeSpan.FromSeconds(60))).Should().BeTrue($"a worker starts (seed {seed}); stderr: {worker.Errors}");
            }

            for (var kill = 0; kill < kills; kill++)
            {
                var victim = random.Next(workers.Count);
                var after = random.Next(200, 1500);
                await Task.Delay(after);
                var name = await KillAsync(workers[victim], acknowledged, violations);
                output.WriteLine($"kill {kill}: worker {name} killed {after} ms in; {acknowledged.Count} acknowledged so far");
                workers[victim] = Worker(server, ReuseNames && random.Next(2) == 0 ? name : $"w{names++}", random, submit: true);
                await AuditAsync(server, acknowledged, requireEnded: false, violations, $"after kill {kill}");
                violations.Should().BeEmpty($"nothing breaks after kill {kill} (seed {seed})");
                (await workers[victim].WaitAsync(workers[victim].Ready, TimeSpan.FromSeconds(60))).Should().BeTrue($"the replacement starts (seed {seed}); stderr: {workers[victim].Errors}");
            }

            await FinishAsync(server, workers, acknowledged, violations, seed);
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }

        ReliabilitySuite.Record("crash (Redis workers)", "worker SIGKILLs survived", kills + 3, 0);
        ReliabilitySuite.Record("crash (Redis workers)", "acknowledged intents checked", acknowledged.Count, violations.Count);
        violations.Should().BeEmpty($"seed {seed}");
    }

    [Fact]
    public async Task A_redis_server_killed_under_load_and_restarted_on_its_files_keeps_every_acknowledged_intent()
    {
        var seed = CrashSeed.For(nameof(A_redis_server_killed_under_load_and_restarted_on_its_files_keeps_every_acknowledged_intent), output);
        var random = new Random(seed);
        await using var server = await RedisServer.StartAsync(operationTimeout: TimeSpan.FromSeconds(2), startupWait: TimeSpan.FromSeconds(30));
        var serverKills = ReliabilitySuite.Budget(3, 50);
        var acknowledged = new Dictionary<SagaId, (string, long)>();
        var violations = new List<string>();
        var workers = new List<WorkloadProcess> { Worker(server, "s0", random, submit: true), Worker(server, "s1", random, submit: true) };
        var refusals = 0;
        try
        {
            foreach (var worker in workers)
            {
                (await worker.WaitAsync(worker.FirstAck, TimeSpan.FromSeconds(60))).Should().BeTrue($"a worker acknowledges work (seed {seed}); stderr: {worker.Errors}");
            }

            for (var kill = 0; kill < serverKills; kill++)
            {
                await Task.Delay(random.Next(300, 1500));
                await server.KillAsync();
                var down = random.Next(200, 1500);
                await Task.Delay(down);
                await server.RestartAsync(); // same port, same append-only file
                var before = workers.Sum(w => w.Acknowledged);
                foreach (var worker in workers)
                {
                    foreach (var (saga, type, position) in worker.Acks)
                    {
                        acknowledged.TryAdd(saga, (type, position));
                    }
                }

                await AuditAsync(server, acknowledged, requireEnded: false, violations, $"after server kill {kill}");
                violations.Should().BeEmpty($"every intent acknowledged before server kill {kill} is still there (seed {seed})");
                var resumed = Stopwatch.StartNew();
                while (workers.Sum(w => w.Acknowledged) < before + 10)
                {
                    resumed.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), $"the workers acknowledge work again once the server is back (seed {seed})");
                    await Task.Delay(100);
                }

                output.WriteLine($"server kill {kill}: down {down} ms; {acknowledged.Count} acknowledged so far");
            }

            refusals = workers.Sum(w => w.Lines.Count(l => l.StartsWith("ERR ", StringComparison.Ordinal)));
            await FinishAsync(server, workers, acknowledged, violations, seed);
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }

        output.WriteLine($"{refusals} submissions were refused (typed, retryable) while the server was away");
        ReliabilitySuite.Record("crash (Redis server)", "redis-server SIGKILLs survived", serverKills, 0);
        ReliabilitySuite.Record("crash (Redis server)", "acknowledged intents checked", acknowledged.Count, violations.Count);
        violations.Should().BeEmpty($"seed {seed}");
    }

    private WorkloadProcess Worker(RedisServer server, string name, Random random, bool submit)
    {
        var worker = WorkloadProcess.Start("redis", server.ConnectionString, _prefix, name, _tenant.ToString(), random.Next().ToString(CultureInfo.InvariantCulture), "250", submit ? "1" : "0");
        _names[worker] = name;
        return worker;
    }

    /// <summary>Kills a worker and takes in what it acknowledged and refused; returns its name.</summary>
    private async Task<string> KillAsync(WorkloadProcess worker, Dictionary<SagaId, (string, long)> acknowledged, List<string> violations)
    {
        await worker.KillAsync();
        foreach (var (saga, type, position) in worker.Acks)
        {
            acknowledged.TryAdd(saga, (type, position));
        }

        // While the server is away a refusal is expected, but it must be typed and retryable.
        violations.AddRange(worker.Lines.Where(l => l.StartsWith("UNTYPED", StringComparison.Ordinal) || (l.StartsWith("ERR ", StringComparison.Ordinal) && !l.EndsWith(" retryable", StringComparison.Ordinal)))
            .Select(l => $"a submission failed without a typed, retryable error: {l}"));
        var name = _names[worker];
        worker.Dispose();
        return name;
    }

    /// <summary>
    /// Kills the submitting workers, starts two that only run sagas (they take over what the dead ones held once their
    /// leases and memberships lapse), waits until the log shows every acknowledged saga ended, and audits the log.
    /// </summary>
    private async Task FinishAsync(RedisServer server, List<WorkloadProcess> workers, Dictionary<SagaId, (string, long)> acknowledged, List<string> violations, int seed)
    {
        for (var i = 0; i < workers.Count; i++)
        {
            await KillAsync(workers[i], acknowledged, violations);
            workers[i] = Worker(server, $"finisher{i}", new Random(seed + i), submit: false);
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            var report = await AuditAsync(server, acknowledged, requireEnded: true, [], "finishing");
            if (report.Violations.Count == 0)
            {
                break;
            }

            if (waited.Elapsed > TimeSpan.FromMinutes(3))
            {
                violations.AddRange(report.Violations);
                return;
            }

            await Task.Delay(500);
        }

        await AuditAsync(server, acknowledged, requireEnded: true, violations, "at the end");
        output.WriteLine($"every one of {acknowledged.Count} acknowledged sagas ended, {waited.Elapsed.TotalSeconds:F1} s after the last kill");
    }

    /// <summary>
    /// Reads the whole log and checks it. The audit is a reader like any other: when the server, busy with the workers'
    /// writes and its append-only file, does not answer one of its reads within the command timeout, the read is retried
    /// (at most five times, each printed); what is checked is what the log holds, not how fast the server answers.
    /// </summary>
    private async Task<LogAudit.Report> AuditAsync(RedisServer server, Dictionary<SagaId, (string, long)> acknowledged, bool requireEnded, List<string> violations, string when)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
                await using var wal = new RedisWriteAheadLog(redis, _prefix, TimeProvider.System);
                var report = await LogAudit.AuditAsync(wal, acknowledged, requireEnded, _tenant);
                violations.AddRange(report.Violations.Select(v => $"{when}: {v}"));
                return report;
            }
            catch (SymphainyException e) when (e.Code == RedisErrorCodes.Unavailable.Code && attempt < 5)
            {
                output.WriteLine($"audit {when}: read {attempt} not answered in time ({e.Message[..Math.Min(80, e.Message.Length)]}...); reading again");
                await Task.Delay(1000);
            }
        }
    }
}
