using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Symphainy.Realms.Analyzers.Tests;

/// <summary>
/// Runs an analyzer over one source file and compares what it reports with the <c>{|SYMR00N:...|}</c> markup in the
/// source. The source compiles against the assemblies this test runs on (the .NET runtime, Symphainy and
/// Microsoft.Extensions.AI), so no reference pack is downloaded.
/// </summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>What every analyzed source may use.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using Symphainy.Agents;
        using Symphainy.Realms;
        using Symphainy.Sagas;

        """;

    public static Task Diagnostics(string source)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = Usings + source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Platform.Value);
        return test.RunAsync();
    }

    private static readonly Lazy<MetadataReference[]> Platform = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());
}
