using System.Diagnostics;

namespace Symphainy.Tests;

/// <summary>The README's main command: the console sample runs the cross-realm report, twice, and after a crash.</summary>
public sealed class ConsoleSampleTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("symphainy-console-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task It_prints_the_report_path_and_exits_zero_and_a_second_run_reuses_the_recorded_execution()
    {
        var (code, output) = await RunAsync();
        code.Should().Be(0, output);
        output.Should().Contain("5 defects found");
        var path = output.Split('\n').Single(l => l.StartsWith("Report: ", StringComparison.Ordinal))["Report: ".Length..].Split(" (")[0];
        File.Exists(path).Should().BeTrue(output);
        (await File.ReadAllTextAsync(path)).Should().Contain("<html").And.Contain("duplicate_value");
        output.Should().Contain("Lineage of the report").And.Contain("-started->");

        var (again, second) = await RunAsync();
        again.Should().Be(0, second);
        second.Should().Contain("was recorded by an earlier run (same idempotency key): reusing it");
        second.Should().Contain($"Report: {path}");
    }

    [Fact]
    public async Task Killed_after_a_step_it_resumes_on_the_next_run_after_the_last_recorded_step()
    {
        var (killed, first) = await RunAsync("--crash-after-step", "8");
        killed.Should().NotBe(0, "the process killed itself");
        first.Should().Contain("[ 8] agent insights.explain").And.Contain("killing this process now");
        first.Should().NotContain("[ 9]");

        var (code, second) = await RunAsync();
        code.Should().Be(0, second);
        var lines = second.Split('\n');
        for (var step = 1; step <= 8; step++)
        {
            lines.Should().ContainSingle(l => l.Contains($"[{step,2}]") && l.Contains("recorded by an earlier run"), $"step {step} was recorded before the kill");
        }

        for (var step = 9; step <= 11; step++)
        {
            lines.Should().ContainSingle(l => l.Contains($"[{step,2}]") && !l.Contains("recorded by an earlier run"), $"step {step} runs after the restart");
        }

        second.Should().Contain("5 defects found");
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] arguments)
    {
        var sample = Symphainy.Conformance.BuiltPrograms.Dll("samples/Symphainy.Samples.Console");
        var start = new ProcessStartInfo("dotnet", [sample, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _work.FullName,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, output + await errors);
    }
}
