using System.Globalization;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>
/// The seed of a randomized crash or fault run: <c>SYMPHAINY_CRASH_SEED</c> replays a failed run, otherwise a fresh one.
/// It is printed to the test's output and named in every failure message.
/// </summary>
internal static class CrashSeed
{
    public static int For(string test, ITestOutputHelper output)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_CRASH_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next(1, int.MaxValue);
        var line = $"{test}: seed {seed} (replay with SYMPHAINY_CRASH_SEED={seed})";
        output.WriteLine(line);
        Console.WriteLine(line);
        return seed;
    }
}
