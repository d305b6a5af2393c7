using System.Diagnostics;

namespace Symphainy.Agents.Tests;

public sealed class GroundedAgentSampleTests
{
    [Fact]
    public async Task The_sample_answers_over_its_documents_with_citations_and_invents_nothing()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Symphainy.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var sample = Path.Combine(root, "samples", "GroundedAgent", "bin", BuildConfiguration, "net10.0", "GroundedAgent.dll");
        File.Exists(sample).Should().BeTrue($"the solution build produces {sample}");
        var start = new ProcessStartInfo("dotnet", [sample])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.CreateTempSubdirectory("symphainy-grounded").FullName,
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        process.ExitCode.Should().Be(0, output + await errors);
        output.Should().Contain("Ingested 3 documents: returns-policy, shipping, warranty");
        output.Should().Contain("- Refunds are paid within 14 days of receiving the return.  [f2 from returns-policy]");
        output.Should().Contain("- The warranty does not cover water damage or broken screens.  [f3 from warranty]");
        output.Should().Contain("Q: Who founded the company?\nA: The facts gathered do not answer this question.");
        output.Should().Contain("model symphainy-local-1, prompts document-answerer/1");
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
