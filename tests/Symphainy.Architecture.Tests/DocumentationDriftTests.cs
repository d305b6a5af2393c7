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

    private static string[] FirstColumn(string relative)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Symphainy.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        return File.ReadAllLines(Path.Combine(root, relative)).Select(l => FirstCell().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
    }

    [GeneratedRegex(@"^\|\s*`([^`]+)`\s*\|")]
    private static partial Regex FirstCell();
}
