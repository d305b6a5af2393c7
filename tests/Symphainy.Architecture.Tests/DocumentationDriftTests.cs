using System.Reflection;
using System.Text.RegularExpressions;
using Symphainy.Configuration;

namespace Symphainy.Architecture.Tests;

/// <summary>The reference pages list exactly what the packages contain: every error code and every setting.</summary>
public sealed partial class DocumentationDriftTests
{
    private static readonly Assembly[] Packages = Directory.GetFiles(AppContext.BaseDirectory, "Symphainy*.dll")
        .Select(Path.GetFileNameWithoutExtension)
        .Where(name => !name!.EndsWith(".Tests", StringComparison.Ordinal))
        .Select(name => Assembly.Load(name!))
        .ToArray();

    [Fact]
    public void Docs_errors_lists_exactly_the_error_codes_of_every_package()
    {
        var codes = Packages.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(ErrorCode))
            .Select(f => ((ErrorCode)f.GetValue(null)!).Code)
            .ToArray();
        codes.Should().Contain("wal.corrupt_record").And.Contain("curator.duplicate_capability");
        codes.Should().OnlyHaveUniqueItems("a code means one thing");
        FirstColumn("docs/errors.md").Should().BeEquivalentTo(codes, "docs/errors.md lists every code and nothing else");
    }

    [Fact]
    public void Every_catalogued_code_is_used_and_every_code_used_is_catalogued()
    {
        var fields = Packages.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(ErrorCode)))
            .ToArray();
        var codes = fields.Select(f => ((ErrorCode)f.GetValue(null)!).Code).ToHashSet();
        var areas = codes.Select(c => c[..c.IndexOf('.')]).ToHashSet();
        var sources = Directory.GetFiles(Path.Combine(RepoRoot(), "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Path: f, Text: File.ReadAllText(f)))
            .ToArray();
        codes.Should().Contain("wal.corrupt_record").And.Contain("saga.compensation_failed");

        // Declared but never raised: a code clients are told to expect that cannot happen.
        var unused = fields.Where(f => !sources.Any(s => !s.Text.Contains($"ErrorCode {f.Name} =", StringComparison.Ordinal)
            && Regex.IsMatch(s.Text, $@"\b{f.Name}\b"))).Select(f => f.Name);
        unused.Should().BeEmpty("every catalogued code is raised somewhere in src/");

        // Raised (or compared) as a literal but missing from the catalogue: a code nobody documented.
        var literals = sources.SelectMany(s => CodeLiteral().Matches(s.Text).Select(m => (s.Path, Code: m.Groups[1].Value)))
            .Where(l => areas.Contains(l.Code[..l.Code.IndexOf('.')]) && !codes.Contains(l.Code))
            .Select(l => $"{Path.GetFileName(l.Path)}: {l.Code}");
        literals.Should().BeEmpty("a string that looks like an error code of a known area must be a catalogued code");
    }

    [Fact]
    public void Docs_configuration_lists_exactly_the_settings_of_every_package()
    {
        var settings = Packages.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsDefined(typeof(OptionsSectionAttribute), false))
            .SelectMany(OptionsSections.Settings)
            .Select(s => s.Key)
            .ToArray();
        settings.Should().Contain("Symphainy:Wal:Durability").And.Contain("Symphainy:Sqlite:Path");
        FirstColumn("docs/configuration.md").Should().BeEquivalentTo(settings, "docs/configuration.md lists every setting and nothing else");
    }

    [Fact]
    public void The_environment_contract_lists_exactly_the_settings_as_the_docs_name_their_variables()
    {
        var settings = Packages.SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsDefined(typeof(OptionsSectionAttribute), false))
            .SelectMany(OptionsSections.Settings)
            .Select(s => s.Key.Replace(":", "__", StringComparison.Ordinal))
            .ToArray();
        var documented = File.ReadAllLines(Path.Combine(RepoRoot(), "docs/configuration.md"))
            .Select(l => EnvironmentCell().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        // The packages' settings, then a section of the host sample's own variables.
        var lines = File.ReadAllLines(Path.Combine(RepoRoot(), "samples/.env.example"));
        var hostSection = Array.FindIndex(lines, l => l.StartsWith("# --- samples/Symphainy.Samples.Host only", StringComparison.Ordinal));
        hostSection.Should().BePositive("the host sample's variables have a section of their own");
        var composeSection = Array.FindIndex(lines, l => l.StartsWith("# --- samples/docker-compose.yml only", StringComparison.Ordinal));
        composeSection.Should().BeGreaterThan(hostSection, "the compose file's own variables come last, in a section of their own");
        var example = lines[..hostSection].Select(l => ExampleVariable().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        documented.Should().BeEquivalentTo(settings, "docs/configuration.md names each setting's environment variable");
        example.Should().BeEquivalentTo(settings, "samples/.env.example lists every setting once, and nothing else");
        example.Should().OnlyHaveUniqueItems();
        lines[hostSection..composeSection].Select(l => HostVariable().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Should().BeEquivalentTo(["HOST_ROLE", "ASPNETCORE_URLS"], "the host section holds the host's own variables only");
        var compose = File.ReadAllText(Path.Combine(RepoRoot(), "samples/docker-compose.yml"));
        var composeOnly = lines[composeSection..].Select(l => HostVariable().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        composeOnly.Should().NotBeEmpty().And.OnlyContain(v => !v.StartsWith("Symphainy__", StringComparison.Ordinal) && compose.Contains("${" + v, StringComparison.Ordinal),
            "the compose section holds only variables the compose file itself reads (such as the ArangoDB root password)");
    }

    [Fact]
    public void Every_project_in_the_repository_is_in_the_solution()
    {
        // build.sh builds Symphainy.sln once and then runs each tests/*.Tests.csproj without building it: a project
        // missing from the solution would run stale binaries or none.
        var root = RepoRoot();
        var solution = File.ReadAllText(Path.Combine(root, "Symphainy.sln")).Replace('\\', '/');
        var projects = new[] { "src", "tests", "samples", "benchmarks" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.csproj", SearchOption.AllDirectories))
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => !p.Split('/').Any(part => part is "bin" or "obj"))
            .ToArray();
        projects.Should().Contain("tests/Symphainy.Architecture.Tests/Symphainy.Architecture.Tests.csproj");
        projects.Where(p => !solution.Contains(p, StringComparison.Ordinal)).Should().BeEmpty("every project is built by `dotnet build Symphainy.sln`");
    }

    [Fact]
    public void The_compose_file_sets_only_variables_the_environment_contract_documents()
    {
        var documented = File.ReadAllLines(Path.Combine(RepoRoot(), "samples/.env.example"))
            .Select(l => HostVariable().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        var composed = File.ReadAllLines(Path.Combine(RepoRoot(), "samples/docker-compose.yml"))
            .Select(l => ComposeVariable().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        composed.Should().Contain("HOST_ROLE").And.Contain("Symphainy__Redis__ConnectionString").And.Contain("Symphainy__Arango__Url").And.Contain("ARANGO_ROOT_PASSWORD");
        composed.Should().OnlyContain(v => documented.Contains(v), "every variable the compose file sets is in samples/.env.example");
    }

    [GeneratedRegex(@"^\s{6}([A-Za-z][A-Za-z0-9_]*):\s")]
    private static partial Regex ComposeVariable();

    [GeneratedRegex(@"^\|\s*`[^`]+`\s*\|\s*`([^`]+)`\s*\|")]
    private static partial Regex EnvironmentCell();

    [GeneratedRegex(@"^#?(Symphainy__[A-Za-z0-9_<>]+)=")]
    private static partial Regex ExampleVariable();

    [GeneratedRegex(@"^#?([A-Za-z][A-Za-z0-9_]*)=")]
    private static partial Regex HostVariable();

    private static string RepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Symphainy.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return root;
    }

    private static string[] FirstColumn(string relative)
    {
        return File.ReadAllLines(Path.Combine(RepoRoot(), relative)).Select(l => FirstCell().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
    }

    [GeneratedRegex(@"""([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)""")]
    private static partial Regex CodeLiteral();

    [GeneratedRegex(@"^\|\s*`([^`]+)`\s*\|")]
    private static partial Regex FirstCell();
}
