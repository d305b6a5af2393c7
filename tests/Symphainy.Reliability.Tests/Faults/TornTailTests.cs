using System.Buffers.Binary;
using System.Globalization;
using Symphainy.Reliability.Tests.Crash;
using Symphainy.Wal;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Faults;

/// <summary>
/// Partial writes: the workload child is killed, and the tail of the last log segment is then torn the ways an
/// interrupted write leaves it (random bytes, zeros, the start of a record, a whole record with a damaged byte) before
/// the next start. Every acknowledged record must survive, the torn bytes must be dropped whole, and the sagas resume.
/// </summary>
public sealed class TornTailTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-faults-torn-");
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("symphainy-faults-torn-rebuild-");

    public void Dispose()
    {
        _data.Delete(recursive: true);
        _scratch.Delete(recursive: true);
    }

    private string Wal => Path.Combine(_data.FullName, "wal");

    [Fact]
    public async Task A_torn_tail_after_a_crash_loses_no_acknowledged_record_and_the_sagas_resume()
    {
        var seed = CrashSeed.For(nameof(TornTailTests), output);
        var random = new Random(seed);
        var rounds = ReliabilitySuite.Budget(8, 150);
        var acknowledged = new Dictionary<SagaId, (string, long)>();
        var violations = new List<string>();
        for (var round = 0; round < rounds; round++)
        {
            using (var child = WorkloadProcess.Start("file", _data.FullName, round.ToString(CultureInfo.InvariantCulture), random.Next().ToString(CultureInfo.InvariantCulture), "20"))
            {
                (await child.WaitAsync(child.FirstAck, TimeSpan.FromSeconds(90))).Should().BeTrue($"round {round} (seed {seed}) acknowledges work; stderr: {child.Errors}");
                await Task.Delay(random.Next(50, 400));
                await child.KillAsync();
                foreach (var (saga, type, position) in child.Acks)
                {
                    acknowledged.Add(saga, (type, position));
                }
            }

            long end;
            await using (var wal = new FileWriteAheadLog(Wal, new WalOptions(), TimeProvider.System))
            {
                end = wal.NextPosition - 1; // what the kill left, its own torn tail (if any) cut off
            }

            var how = Tear(random);
            await using (var wal = new FileWriteAheadLog(Wal, new WalOptions(), TimeProvider.System))
            {
                if (wal.NextPosition - 1 != end)
                {
                    violations.Add($"round {round}: after tearing the tail ({how}) the log ends at {wal.NextPosition - 1}, not at {end}");
                }

                violations.AddRange((await LogAudit.AuditAsync(wal, acknowledged, requireEnded: false)).Violations.Select(v => $"round {round} ({how}): {v}"));
            }

            output.WriteLine($"round {round}: log ended at {end}; tail torn: {how}");
            violations.Should().BeEmpty($"round {round} (seed {seed})");
        }

        using (var finish = WorkloadProcess.Start("finish", _data.FullName))
        {
            (await finish.WaitForExitAsync(TimeSpan.FromMinutes(4))).Should().Be(0, $"every saga ends (seed {seed}); stdout: {string.Join(" | ", finish.Lines.TakeLast(10))}; stderr: {finish.Errors}");
        }

        await using (var wal = new FileWriteAheadLog(Wal, new WalOptions(), TimeProvider.System))
        {
            var report = await LogAudit.AuditAsync(wal, acknowledged, requireEnded: true);
            violations.AddRange(report.Violations);
            violations.AddRange((await GraphAudit.CompareAsync(wal, Path.Combine(_data.FullName, "state-graph.db"), _scratch.FullName)).Violations);
        }

        ReliabilitySuite.Record("faults (torn tail)", "torn segment tails injected after SIGKILL", rounds, violations.Count);
        ReliabilitySuite.Record("faults (torn tail)", "acknowledged intents checked", acknowledged.Count, 0);
        violations.Should().BeEmpty($"seed {seed}");
    }

    /// <summary>Appends to the last segment what an interrupted write of the next batch can leave; says which.</summary>
    private string Tear(Random random)
    {
        var segment = Directory.EnumerateFiles(Wal, "*.wal").Order(StringComparer.Ordinal).Last();
        var bytes = File.ReadAllBytes(segment);
        var (start, length) = LastRecord(bytes);
        byte[] tail;
        string how;
        switch (length < 16 ? 0 : random.Next(4)) // a segment just rolled holds no record to copy
        {
            case 0:
                tail = new byte[random.Next(1, 512)];
                random.NextBytes(tail);
                how = $"{tail.Length} random bytes";
                break;
            case 1:
                tail = new byte[random.Next(1, 8192)];
                how = $"{tail.Length} zero bytes";
                break;
            case 2 when length > 1:
                tail = bytes.AsSpan(start, random.Next(1, length)).ToArray();
                how = $"the first {tail.Length} of {length} bytes of a record";
                break;
            default:
                tail = bytes.AsSpan(start, length).ToArray();
                tail[random.Next(8, tail.Length)] ^= 0x5A;
                how = $"a whole record of {length} bytes with one byte damaged";
                break;
        }

        using var file = new FileStream(segment, FileMode.Append, FileAccess.Write);
        file.Write(tail);
        file.Flush(flushToDisk: true);
        return how;
    }

    /// <summary>Where the segment's last record starts and how long it is (header of 32 bytes, then length-prefixed records).</summary>
    private static (int Start, int Length) LastRecord(byte[] bytes)
    {
        const int header = 32;
        var (start, length) = (header, 0);
        for (var offset = header; offset + 8 <= bytes.Length;)
        {
            var size = 8 + (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            if (offset + size > bytes.Length)
            {
                break;
            }

            (start, length) = (offset, size);
            offset += size;
        }

        return (start, length);
    }
}
