using System.Reflection;
using System.Xml.Linq;

namespace Symphainy.Architecture.Tests;

public sealed class PlaneLayeringTests
{
    private static readonly string Root = FindRoot();

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (var project in Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(project));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Project_file_references_only_lower_planes_and_allowed_infrastructure(string project)
    {
        var file = XDocument.Load(Path.Combine(Root, "src", project, project + ".csproj"));
        var references = file.Descendants()
            .Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference" or "FrameworkReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToArray();

        PlaneRules.Violations(project, references).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Compiled_assembly_references_only_lower_planes_and_allowed_infrastructure(string project)
    {
        var assembly = Assembly.Load(project);
        var references = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        PlaneRules.Violations(project, references).Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Every_package_has_a_readme(string project)
    {
        var readme = Path.Combine(Root, "src", project, "README.md");
        File.Exists(readme).Should().BeTrue($"{project} needs a short README.md in its folder");
        File.ReadAllText(readme).Length.Should().BeGreaterThan(200, "the README says what the package is for");
    }

    [Fact]
    public void A_reference_to_a_higher_plane_is_caught()
    {
        PlaneRules.Violations("Symphainy.Runtime", ["Symphainy.Foundations"]).Should().ContainSingle()
            .Which.Should().Contain("only lower planes");
        PlaneRules.Violations("Symphainy.Foundations", ["Symphainy.Runtime", "Symphainy.Realms"]).Should().ContainSingle();
        PlaneRules.Violations("Symphainy.Agents", ["Symphainy.Runtime", "Symphainy.Foundations"]).Should().BeEmpty();
        PlaneRules.Violations("Symphainy.PublicWorks.Redis", ["Symphainy.Agents"]).Should().ContainSingle();
        PlaneRules.Violations("Symphainy.Experience.Client", ["Symphainy.Experience"]).Should().ContainSingle();
        PlaneRules.Violations("Symphainy.Experience.Client", ["Symphainy.Runtime"]).Should().ContainSingle("the client references no Symphainy package");
    }

    [Fact]
    public void Experience_may_reference_every_plane_below_it_and_nothing_below_may_reference_it()
    {
        PlaneRules.Violations("Symphainy.Experience",
            ["Symphainy.Runtime", "Symphainy.Foundations", "Symphainy.Agents", "Symphainy.SmartCity", "Symphainy.Realms", "Microsoft.AspNetCore.App"]).Should().BeEmpty();
        foreach (var lower in new[] { "Symphainy.Runtime", "Symphainy.Foundations", "Symphainy.Agents", "Symphainy.SmartCity", "Symphainy.Realms", "Symphainy.PublicWorks.Sqlite" })
        {
            PlaneRules.Violations(lower, ["Symphainy.Experience"]).Should().ContainSingle(lower).Which.Should().Contain("only lower planes");
        }
    }

    [Fact]
    public void The_test_kit_may_reference_every_plane_a_host_uses_and_no_plane_may_reference_it()
    {
        PlaneRules.Violations("Symphainy.Testing",
            ["Symphainy.Runtime", "Symphainy.Foundations", "Symphainy.Agents", "Symphainy.SmartCity", "Symphainy.Realms", "FluentAssertions"]).Should().BeEmpty();
        PlaneRules.Violations("Symphainy.Testing", ["Symphainy.Experience"]).Should().ContainSingle("realm tests need no HTTP server");
        PlaneRules.Violations("Symphainy.Testing", ["Microsoft.Data.Sqlite"]).Should().ContainSingle("the kit runs on the in-memory adapters");
        foreach (var plane in new[] { "Symphainy.Runtime", "Symphainy.Foundations", "Symphainy.Agents", "Symphainy.SmartCity", "Symphainy.Realms", "Symphainy.Experience" })
        {
            PlaneRules.Violations(plane, ["Symphainy.Testing"]).Should().ContainSingle(plane).Which.Should().Contain("only lower planes");
        }
    }

    [Theory]
    [InlineData("Symphainy.Runtime", "StackExchange.Redis")]
    [InlineData("Symphainy.Runtime", "Microsoft.Data.Sqlite")]
    [InlineData("Symphainy.Foundations", "Microsoft.AspNetCore.App")]
    [InlineData("Symphainy.Foundations", "SQLitePCLRaw.core")]
    [InlineData("Symphainy.Runtime", "ArangoDBNetStandard")]
    public void An_infrastructure_client_in_an_infrastructure_free_plane_is_caught(string package, string reference)
    {
        PlaneRules.Violations(package, [reference]).Should().ContainSingle().Which.Should().Contain("infrastructure");
    }

    [Fact]
    public void Providers_may_use_their_infrastructure_client()
    {
        PlaneRules.Violations("Symphainy.PublicWorks.Redis", ["Symphainy.Runtime", "Symphainy.Foundations", "StackExchange.Redis"]).Should().BeEmpty();
        PlaneRules.Violations("Symphainy.PublicWorks.Arango", ["Symphainy.Runtime", "Symphainy.Foundations", "Microsoft.Extensions.Http", "System.Net.Http"]).Should().BeEmpty();
    }

    [Fact]
    public void The_arango_provider_is_a_classified_provider_that_may_not_reference_a_higher_plane()
    {
        SourceProjects().Cast<object[]>().Select(row => (string)row[0]).Should().Contain("Symphainy.PublicWorks.Arango", "the provider is in src/ and so under every layering test above");
        PlaneRules.AllowedReferences("Symphainy.PublicWorks.Arango").Should().Equal("Symphainy.Runtime", "Symphainy.Foundations");
        foreach (var higher in new[] { "Symphainy.Agents", "Symphainy.SmartCity", "Symphainy.Realms", "Symphainy.Experience", "Symphainy", "Symphainy.PublicWorks.Sqlite" })
        {
            PlaneRules.Violations("Symphainy.PublicWorks.Arango", [higher]).Should().ContainSingle(higher).Which.Should().Contain("only lower planes");
        }

        PlaneRules.Violations("Symphainy.Foundations", ["Symphainy.PublicWorks.Arango"]).Should().ContainSingle("no plane names the Arango provider");
    }

    [Fact]
    public void An_unknown_package_must_be_classified_before_it_can_exist()
    {
        var act = () => PlaneRules.Violations("Symphainy.Misc", []);
        act.Should().Throw<ArgumentException>().WithMessage("*not a known plane*");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Symphainy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Symphainy.sln not found");
    }
}
