using System.Text;
using Symphainy;
using Symphainy.Wal;

namespace Symphainy.CrashHost;

/// <summary>
/// Appends self-describing records from many concurrent writers as fast as it can and prints
/// <c>ACK {position} {id}</c> for each append the log acknowledged, until it is killed.
/// </summary>
public static class WalWorkload
{
    public static async Task RunAsync(string directory, int writers, int run)
    {
        await using var log = new FileWriteAheadLog(directory, new WalOptions { SegmentSizeBytes = 256 * 1024 }, TimeProvider.System);
        var tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var gate = new Lock();
        lock (gate)
        {
            output.WriteLine($"READY {log.NextPosition}");
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            for (var counter = 0; ; counter++)
            {
                var payload = Payload(run, writer, counter);
                var position = await log.AppendAsync(new WalEntry(WalRecordKind.StepCompleted, tenant, Encoding.UTF8.GetBytes(payload)));
                lock (gate)
                {
                    output.WriteLine($"ACK {position} {Id(payload)}");
                }
            }
        })));
    }

    /// <summary>A payload whose filler can be recomputed from its header, so a damaged record is detectable.</summary>
    public static string Payload(int run, int writer, int counter)
    {
        var length = ((run * 131) + (writer * 31) + (counter * 7)) % 1500;
        var filler = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            filler.Append((char)('a' + (((run * 31) + (writer * 7) + counter + i) % 26)));
        }

        return $"r{run} w{writer} c{counter} n{length}|{filler}";
    }

    public static string Id(string payload) => payload[..payload.IndexOf('|', StringComparison.Ordinal)].Replace(' ', '/');
}
