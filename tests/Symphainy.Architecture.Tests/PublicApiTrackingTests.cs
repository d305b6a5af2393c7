namespace Symphainy.Architecture.Tests;

/// <summary>
/// Every package tracks its public surface: the public API analyzer fails the build (RS0016/RS0017) when a public
/// member is added or removed without its PublicAPI file saying so. These tests keep the files from going missing.
/// </summary>
public sealed class PublicApiTrackingTests
{
    private static readonly string Src = Path.Combine(RepoRoot(), "src");

    [Fact]
    public void Every_package_folder_has_both_public_api_files_with_nullable_annotations()
    {
        var packages = Directory.GetDirectories(Src).Where(d => Directory.GetFiles(d, "*.csproj").Length > 0).ToArray();
        packages.Select(Path.GetFileName).Should().Contain("Symphainy.Runtime").And.Contain("Symphainy");

        foreach (var package in packages)
        {
            foreach (var file in new[] { "PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt" })
            {
                var path = Path.Combine(package, file);
                File.Exists(path).Should().BeTrue($"{Path.GetFileName(package)} tracks its public surface in {file}");
                File.ReadLines(path).FirstOrDefault().Should().Be("#nullable enable",
                    $"{Path.GetFileName(package)}/{file} records nullable annotations, so changing them is an API change too");
            }
        }
    }

    [Fact]
    public void Runtime_unshipped_list_holds_the_surface_hosts_program_against()
    {
        var lines = File.ReadAllLines(Path.Combine(Src, "Symphainy.Runtime", "PublicAPI.Unshipped.txt"));

        lines.Should().Contain("Symphainy.Intake.IIntentIntake");
        lines.Should().Contain(l => l.StartsWith("Symphainy.Intake.IIntentIntake.SubmitAsync(Symphainy.Intake.Intent! intent", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("Symphainy.Sagas.SagaContext.Step<TService, TResult>(string! name", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("abstract Symphainy.Sagas.Orchestrator<TInput, TOutput>.RunAsync(", StringComparison.Ordinal));
    }

    private static string RepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Symphainy.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return root;
    }
}
