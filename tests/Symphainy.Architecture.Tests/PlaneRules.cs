namespace Symphainy.Architecture.Tests;

/// <summary>
/// The plane rules of ARCHITECTURE.md as data: which Symphainy packages each package may reference,
/// and which infrastructure clients the infrastructure-free planes must never reference.
/// </summary>
public static class PlaneRules
{
    private static readonly string[] Runtime = ["Symphainy.Runtime"];
    private static readonly string[] Foundations = [.. Runtime, "Symphainy.Foundations"];
    private static readonly string[] Agents = [.. Foundations, "Symphainy.Agents"];
    private static readonly string[] SmartCity = [.. Agents, "Symphainy.SmartCity"];
    private static readonly string[] Realms = [.. SmartCity, "Symphainy.Realms"];

    /// <summary>Infrastructure clients; only provider packages, Experience and the meta-package may use them.</summary>
    public static readonly string[] InfrastructurePrefixes =
        ["StackExchange.Redis", "Microsoft.Data.Sqlite", "SQLitePCLRaw", "Microsoft.AspNetCore", "ArangoDB", "Arango"];

    /// <summary>The Symphainy packages each package may reference (lower planes only).</summary>
    public static IReadOnlyList<string> AllowedReferences(string package) => package switch
    {
        "Symphainy.Runtime" => [],
        "Symphainy.Foundations" => Runtime,
        _ when package.StartsWith("Symphainy.PublicWorks.", StringComparison.Ordinal) => Foundations,
        "Symphainy.Agents" => Foundations,
        "Symphainy.SmartCity" => Agents,
        // The realm analyzers run in the compiler, ship inside the Realms package and reference no Symphainy package
        // (they match the authoring model's types by name).
        "Symphainy.Realms" => [.. SmartCity, "Symphainy.Realms.Analyzers"],
        "Symphainy.Realms.Analyzers" => [],
        "Symphainy.Experience" => Realms,
        // The .NET client mirrors the HTTP contract with its own types, so an application that only talks to a
        // Symphainy server does not pull the platform in.
        "Symphainy.Experience.Client" => [],
        // The test kit starts a whole platform in a test, so it stands on every plane a host uses (not on Experience:
        // realm tests need no HTTP server) and no plane may reference it.
        "Symphainy.Testing" => Realms,
        "Symphainy" => AnySymphainy,
        _ => throw new ArgumentException(
            $"{package} is not a known plane. Add it to PlaneRules with the planes it may reference before adding it to src/.", nameof(package)),
    };

    /// <summary>Whether a package must stay free of infrastructure clients.</summary>
    public static bool IsInfrastructureFree(string package) =>
        package is "Symphainy.Runtime" or "Symphainy.Foundations" or "Symphainy.Agents" or "Symphainy.SmartCity"
            or "Symphainy.Realms" or "Symphainy.Realms.Analyzers" or "Symphainy.Experience.Client" or "Symphainy.Testing";

    /// <summary>The forbidden ones among <paramref name="references"/> of <paramref name="package"/>, each with the reason.</summary>
    /// <param name="package">The referencing package.</param>
    /// <param name="references">Names of the packages or assemblies it references.</param>
    public static IReadOnlyList<string> Violations(string package, IEnumerable<string> references)
    {
        var allowed = AllowedReferences(package);
        var violations = new List<string>();
        foreach (var reference in references.Distinct(StringComparer.Ordinal))
        {
            if (IsSymphainy(reference) && reference != package && !ReferenceEquals(allowed, AnySymphainy) && !allowed.Contains(reference))
            {
                violations.Add($"{package} -> {reference}: a plane may reference only lower planes ({Describe(allowed)})");
            }

            if (IsInfrastructureFree(package) && InfrastructurePrefixes.Any(p => reference.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                violations.Add($"{package} -> {reference}: infrastructure clients belong in a Symphainy.PublicWorks.* provider or in Experience");
            }
        }

        return violations;
    }

    private static readonly string[] AnySymphainy = ["*"];

    private static bool IsSymphainy(string name) => name == "Symphainy" || name.StartsWith("Symphainy.", StringComparison.Ordinal);

    private static string Describe(IReadOnlyList<string> allowed) => allowed.Count == 0 ? "none" : string.Join(", ", allowed);
}
