using System.Globalization;
using Symphainy.Wal;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>
/// Crash consistency on the embedded shape (file log, SQLite state graph): a child process runs the mixed saga workload
/// and is killed with SIGKILL at seeded random points (mid-submission, mid-saga, during start-up and recovery), then
/// started again on the same data directory, many times. After every kill the log and the graph are audited; after a
/// last clean run every acknowledged intent must have completed exactly once.
/// </summary>
public sealed class FileCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-crash-file-");
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("symphainy-crash-rebuild-");

    public void Dispose()
    {
        _data.Delete(recursive: true);
        _scratch.Delete(recursive: true);
    }

    private string Wal => Path.Combine(_data.FullName, "wal");

    private string Graph => Path.Combine(_data.FullName, "state-graph.db");

    [Fact]
    public async Task Acknowledged_mixed_sagas_complete_exactly_once_and_the_graph_agrees_with_the_log_across_repeated_SIGKILL()
    {
        var seed = CrashSeed.For(nameof(FileCrashTests), output);
        var random = new Random(seed);
        var kills = ReliabilitySuite.Budget(32, 800);
        var acknowledged = new Dictionary<SagaId, (string Type, long Position)>();
        var violations = new List<string>();
        var graphChecks = 0;
        for (var run = 0; run < kills; run++)
        {
            var how = random.NextDouble();
            using (var child = WorkloadProcess.Start("file", _data.FullName, run.ToString(CultureInfo.InvariantCulture), random.Next().ToString(CultureInfo.InvariantCulture), "20"))
            {
                string when;
                if (how < 0.2)
                {
                    // Blind: anywhere from process start-up through recovery to the first submissions.
                    var after = random.Next(200, 2500);
                    await Task.Delay(after);
                    when = $"{after} ms after start";
                }
                else
                {
                    (await child.WaitAsync(child.FirstAck, TimeSpan.FromSeconds(90))).Should().BeTrue(
                        $"run {run} (seed {seed}) acknowledges work within 90 s, its recovery included; exited: {child.HasExited}; stderr: {child.Errors}");
                    var after = how < 0.3 ? random.Next(0, 30) : random.Next(50, 600);
                    await Task.Delay(after);
                    when = $"{after} ms after its first acknowledgement";
                }

                child.HasExited.Should().BeFalse($"run {run} (seed {seed}) works until killed; stdout: {string.Join(" | ", child.Lines.TakeLast(5))}; stderr: {child.Errors}");
                await child.KillAsync();
                child.ExitCode.Should().Be(137, "the child died of SIGKILL");
                foreach (var (saga, type, position) in child.Acks)
                {
                    acknowledged.Add(saga, (type, position));
                }

                violations.AddRange(child.Lines.Where(l => l.StartsWith("ERR", StringComparison.Ordinal) || l.StartsWith("UNTYPED", StringComparison.Ordinal))
                    .Select(l => $"run {run}: a submission was refused: {l}"));
                output.WriteLine($"run {run}: killed {when}; {child.Acknowledged} acknowledged");
            }

            graphChecks += await AuditAsync($"after kill {run}", acknowledged, requireEnded: false, violations);
            violations.Should().BeEmpty($"nothing breaks after kill {run} (seed {seed})");
        }

        // A last, clean run resumes everything the kills interrupted and runs it to its end.
        using (var finish = WorkloadProcess.Start("finish", _data.FullName))
        {
            var code = await finish.WaitForExitAsync(TimeSpan.FromMinutes(4));
            code.Should().Be(0, $"every saga ends in the last run (seed {seed}); stdout: {string.Join(" | ", finish.Lines.TakeLast(20))}; stderr: {finish.Errors}");
        }

        graphChecks += await AuditAsync("after the last run", acknowledged, requireEnded: true, violations);
        ReliabilitySuite.Record("crash (file WAL)", "SIGKILLs survived", kills, 0);
        ReliabilitySuite.Record("crash (file WAL)", "acknowledged intents checked", acknowledged.Count, violations.Count);
        ReliabilitySuite.Record("crash (file WAL)", "graph rebuilds compared with the log", graphChecks, 0);
        violations.Should().BeEmpty($"seed {seed}");
        acknowledged.Values.Select(a => a.Type).Distinct().Should().HaveCount(6, "every kind of saga was acknowledged");
    }

    private async Task<int> AuditAsync(string when, Dictionary<SagaId, (string, long)> acknowledged, bool requireEnded, List<string> violations)
    {
        await using var wal = new FileWriteAheadLog(Wal, new WalOptions(), TimeProvider.System);
        var log = await LogAudit.AuditAsync(wal, acknowledged, requireEnded);
        violations.AddRange(log.Violations.Select(v => $"{when}: {v}"));
        if (!File.Exists(Graph))
        {
            return 0;
        }

        var (graph, checkpoint, nodes) = await GraphAudit.CompareAsync(wal, Graph, _scratch.FullName);
        violations.AddRange(graph.Select(v => $"{when}: {v}"));
        if (requireEnded && checkpoint != log.LastPosition)
        {
            violations.Add($"{when}: the graph was projected up to {checkpoint}, the log ends at {log.LastPosition}");
        }

        output.WriteLine($"{when}: {log.Records} records, {log.Sagas} sagas ({log.Ended} ended), {acknowledged.Count} acknowledged; graph at {checkpoint} with {nodes} nodes");
        return 1;
    }
}
