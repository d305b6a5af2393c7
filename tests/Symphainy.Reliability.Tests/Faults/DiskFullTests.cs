using System.Diagnostics;
using System.Globalization;
using Symphainy.Reliability.Tests.Crash;
using Symphainy.Wal;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Faults;

/// <summary>
/// A full disk under the embedded host: the workload child writes large intents into a data directory on a small tmpfs
/// (mounted by the test when it may), or under <c>ulimit -f</c> with SIGXFSZ ignored, so that writes past the limit fail
/// with EFBIG (the runtime's double-mapped code pages are turned off there: they are files the limit would refuse). Callers must get typed, retryable errors; once the disk has room again, the
/// log reopens with every acknowledged record intact and every acknowledged saga completes.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("symphainy-faults-full-");
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("symphainy-faults-full-rebuild-");
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", "-l", Data);
        }

        _root.Delete(recursive: true);
        _scratch.Delete(recursive: true);
    }

    private string Data => Path.Combine(_root.FullName, "data");

    /// <param name="method">
    /// <c>tmpfs</c>: a full file system (falls back to the file size limit where the test may not mount one);
    /// <c>ulimit</c>: a limit on the size of one file, whose writes fail with EFBIG.
    /// </param>
    [Theory]
    [InlineData("tmpfs")]
    [InlineData("ulimit")]
    public async Task A_full_disk_refuses_intents_typed_and_retryable_and_loses_nothing_acknowledged(string method)
    {
        var seed = CrashSeed.For($"{nameof(DiskFullTests)} ({method})", output);
        Directory.CreateDirectory(Data);
        _mounted = method == "tmpfs" && Run("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", Data) == 0;
        var how = _mounted ? "tmpfs of 3 MiB" : "ulimit -f 3072 (3 MiB per file)";
        output.WriteLine($"full disk: {how}");
        var violations = new List<string>();
        var acknowledged = new Dictionary<SagaId, (string, long)>();
        List<string> refusals;
        using (var child = WorkloadProcess.StartIn(_mounted ? null : "export DOTNET_EnableWriteXorExecute=0; trap '' XFSZ; ulimit -f 3072", "fill", Data, "0", seed.ToString(CultureInfo.InvariantCulture)))
        {
            var waited = Stopwatch.StartNew();
            while (child.Lines.Count(l => l.StartsWith("ERR", StringComparison.Ordinal)) < 20 && !child.HasExited && waited.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(50);
            }

            child.HasExited.Should().BeFalse($"the host stays up on a full disk; stderr: {child.Errors}");
            await child.KillAsync();
            foreach (var (saga, type, position) in child.Acks)
            {
                acknowledged.Add(saga, (type, position));
            }

            refusals = [.. child.Lines.Where(l => l.StartsWith("ERR", StringComparison.Ordinal) || l.StartsWith("UNTYPED", StringComparison.Ordinal))];
        }

        output.WriteLine($"{acknowledged.Count} acknowledged before the disk filled; refusals: {string.Join(", ", refusals.GroupBy(r => r).Select(g => $"{g.Key} x{g.Count()}"))}");
        acknowledged.Should().NotBeEmpty("intents were acknowledged before the disk filled");
        refusals.Should().NotBeEmpty("the full disk refused intents");
        violations.AddRange(refusals.Where(r => r is not ("ERR wal.io_failed retryable" or "ERR wal.closed retryable")).Select(r => $"a refusal on a full disk is not a typed, retryable log error: {r}"));

        // Room again: the tmpfs grows (its files stay), or the next process runs without the limit.
        if (_mounted)
        {
            Run("mount", "-o", "remount,size=512m", Data).Should().Be(0, "the tmpfs grows");
        }

        using (var finish = WorkloadProcess.Start("finish", Data))
        {
            (await finish.WaitForExitAsync(TimeSpan.FromMinutes(3))).Should().Be(0, $"every saga ends once there is room (seed {seed}); stdout: {string.Join(" | ", finish.Lines.TakeLast(10))}; stderr: {finish.Errors}");
        }

        await using (var wal = new FileWriteAheadLog(Path.Combine(Data, "wal"), new WalOptions(), TimeProvider.System))
        {
            violations.AddRange((await LogAudit.AuditAsync(wal, acknowledged, requireEnded: true)).Violations);
            violations.AddRange((await GraphAudit.CompareAsync(wal, Path.Combine(Data, "state-graph.db"), _scratch.FullName)).Violations);
        }

        ReliabilitySuite.Record("faults (disk full)", _mounted ? "full-disk refusals (tmpfs)" : "full-disk refusals (ulimit -f)", refusals.Count, violations.Count);
        ReliabilitySuite.Record("faults (disk full)", "acknowledged intents checked", acknowledged.Count, 0);
        violations.Should().BeEmpty($"seed {seed}, {how}");
    }

    private static int Run(string program, params string[] arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
