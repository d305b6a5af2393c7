using System.Globalization;
using System.Text;
using Symphainy.CrashHost;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Wal;

/// <summary>
/// Kills a real child process with SIGKILL while it appends, many times, and checks after every kill that
/// each acknowledged record is present, in order, intact, and that no record is half visible.
/// </summary>
public sealed class WalCrashTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("symphainy-wal-crash-");

    public void Dispose() => _root.Delete(recursive: true);

    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_CRASH_KILLS"), CultureInfo.InvariantCulture, out var kills) ? kills : 25;

    [Fact]
    public async Task Every_acknowledged_append_survives_repeated_SIGKILL_in_order_and_intact()
    {
        var directory = Path.Combine(_root.FullName, "wal");
        var acknowledged = new Dictionary<long, string>();
        var random = new Random(20261124);
        long recordsSeen = 0;
        for (var run = 0; run < Kills; run++)
        {
            var acks = await RunAndKillAsync(directory, run, killAfter: TimeSpan.FromMilliseconds(random.Next(30, 400)));
            foreach (var (position, id) in acks)
            {
                acknowledged.Should().NotContainKey(position, "a position is acknowledged once, across all runs");
                acknowledged[position] = id;
            }

            recordsSeen = await VerifyAsync(directory, acknowledged);
        }

        acknowledged.Count.Should().BeGreaterThan(Kills * 10, "the child appended for real before each kill");
        recordsSeen.Should().BeGreaterThanOrEqualTo(acknowledged.Count);
    }

    private static async Task<List<(long Position, string Id)>> RunAndKillAsync(string directory, int run, TimeSpan killAfter) =>
        (await CrashHostProcess.RunAndKillAsync(killAfter, "wal", directory, "16", run.ToString(CultureInfo.InvariantCulture)))
            .Where(words => words.Length == 3 && long.TryParse(words[1], CultureInfo.InvariantCulture, out _))
            .Select(words => (long.Parse(words[1], CultureInfo.InvariantCulture), words[2]))
            .ToList();

    private static async Task<long> VerifyAsync(string directory, Dictionary<long, string> acknowledged)
    {
        await using var log = new FileWriteAheadLog(directory, new WalOptions { SegmentSizeBytes = 256 * 1024 }, TimeProvider.System);
        long expected = 1;
        var found = new Dictionary<long, string>();
        await foreach (var record in log.ReadAsync(1))
        {
            record.Position.Should().Be(expected, "positions are gapless and in order");
            expected++;
            var payload = Encoding.UTF8.GetString(record.Payload.Span);
            IsIntact(payload).Should().BeTrue($"record {record.Position} is whole, never half visible: '{payload[..Math.Min(60, payload.Length)]}'");
            found[record.Position] = WalWorkload.Id(payload);
        }

        foreach (var (position, id) in acknowledged)
        {
            found.Should().ContainKey(position, "an acknowledged append is never lost");
            found[position].Should().Be(id, "the acknowledged record is at the position its append returned");
        }

        return found.Count;
    }

    private static bool IsIntact(string payload)
    {
        var header = payload[..payload.IndexOf('|', StringComparison.Ordinal)].Split(' ');
        var run = int.Parse(header[0][1..], CultureInfo.InvariantCulture);
        var writer = int.Parse(header[1][1..], CultureInfo.InvariantCulture);
        var counter = int.Parse(header[2][1..], CultureInfo.InvariantCulture);
        return payload == WalWorkload.Payload(run, writer, counter);
    }
}
