using System.Diagnostics;

namespace Symphainy.Runtime.Tests;

/// <summary>Runs the crash host as a real child process and kills it with SIGKILL once it is working.</summary>
internal static class CrashHostProcess
{
    /// <summary>
    /// Starts <c>Symphainy.CrashHost</c> with <paramref name="arguments"/>, waits for its first <c>ACK</c> line, lets it
    /// work for <paramref name="killAfter"/>, kills it with SIGKILL and returns every <c>ACK</c> line it printed, split
    /// into words (lines already in the pipe at the kill are still read).
    /// </summary>
    public static async Task<List<string[]>> RunAndKillAsync(TimeSpan killAfter, params string[] arguments)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "Symphainy.CrashHost.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", [host, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acks = new List<string[]>();
        var firstAck = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                var words = line.Split(' ');
                if (words is ["ACK", ..])
                {
                    acks.Add(words);
                    firstAck.TrySetResult();
                }
            }
        });

        await Task.WhenAny(firstAck.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        process.HasExited.Should().BeFalse($"the crash host runs until killed; stderr: {(process.HasExited ? await stderr : "")}");
        firstAck.Task.IsCompleted.Should().BeTrue("the crash host acknowledges work within a minute (its recovery included)");
        await Task.Delay(killAfter);
        process.Kill(); // SIGKILL on Linux: no flush, no finally blocks, no disposal
        await process.WaitForExitAsync();
        await reading;
        process.ExitCode.Should().Be(137, "the child died of SIGKILL (128 + 9)");
        return acks;
    }
}
