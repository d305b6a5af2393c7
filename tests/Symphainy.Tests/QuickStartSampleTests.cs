using System.Diagnostics;

namespace Symphainy.Tests;

public sealed class QuickStartSampleTests
{
    [Fact]
    public async Task The_quick_start_sample_runs_a_saga_to_completion_and_exits_zero()
    {
        var sample = Symphainy.Conformance.BuiltPrograms.Dll("samples/QuickStart");
        var start = new ProcessStartInfo("dotnet", [sample])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.CreateTempSubdirectory("symphainy-quickstart").FullName,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var logs = await errors;

        process.ExitCode.Should().Be(0, output + logs);
        output.Should().Contain("Registered planes:").And.MatchRegex(@"\n\s+Runtime\s+Symphainy\.Runtime");
        output.Should().MatchRegex(@"StepCompleted\s+normalize").And.MatchRegex(@"StepCompleted\s+greet").And.MatchRegex(@"StepCompleted\s+measure");
        output.Should().Contain("Saga Completed: Welcome, Ada! (13 characters)");
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().NotContain(l => l.StartsWith('{'), "logs go to stderr, not between the lines the sample prints");
        logs.Should().Contain("\"Category\":\"Symphainy.Hosting.RuntimeLifecycle\"", "logs are JSON lines");
    }
}
