using System.Diagnostics;

namespace Symphainy.Realms.Analyzers.Tests;

/// <summary>
/// The analyzers as a realm author meets them: a scratch realm library that references Symphainy.Realms and the
/// analyzers, with warnings as errors, built by <c>dotnet build</c>. One copy carries one file per anti-pattern and must
/// fail naming every rule; the same realm without them must build. The projects live under the repository's
/// gitignored artifacts/ folder, so they inherit its Directory.Build.props, central package versions and NuGet config,
/// and reuse the already built Symphainy projects of this test's configuration.
/// </summary>
public sealed class ScratchRealmBuildTests : IDisposable
{
    private static readonly string[] Ids = ["SYMR001", "SYMR002", "SYMR003", "SYMR004", "SYMR005", "SYMR006"];

    private readonly string _root = RepoRoot();
    private readonly string _scratch;

    public ScratchRealmBuildTests()
    {
        _scratch = Path.Combine(_root, "artifacts", "analyzer-scratch", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_scratch);
    }

    [Fact]
    public async Task A_realm_with_each_anti_pattern_fails_to_build_naming_every_rule_and_builds_without_them()
    {
        var bad = WriteProject("BadRealm", AntiPatterns);
        var good = WriteProject("GoodRealm", new Dictionary<string, string>());

        var (badExit, badOutput) = await BuildAsync(bad);
        var (goodExit, goodOutput) = await BuildAsync(good);

        badExit.Should().NotBe(0, badOutput);
        foreach (var id in Ids)
        {
            badOutput.Should().Contain($"error {id}:", $"the {id} anti-pattern must fail the build:\n{badOutput}");
        }

        badOutput.Should().NotContain("error CS", "the anti-patterns compile; only the analyzers refuse them");
        goodExit.Should().Be(0, goodOutput);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file; artifacts/ is gitignored and cleaned with the work tree.
        }
    }

    private string WriteProject(string name, IReadOnlyDictionary<string, string> extraFiles)
    {
        var dir = Path.Combine(_scratch, name);
        Directory.CreateDirectory(dir);
        var src = Path.Combine(_root, "src");
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <EnableNETAnalyzers>false</EnableNETAnalyzers>
                <EnforceCodeStyleInBuild>false</EnforceCodeStyleInBuild>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{src}/Symphainy.Realms/Symphainy.Realms.csproj" />
                <ProjectReference Include="{src}/Symphainy.Realms.Analyzers/Symphainy.Realms.Analyzers.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "ShopRealm.cs"), CleanRealm);
        foreach (var (file, text) in extraFiles)
        {
            File.WriteAllText(Path.Combine(dir, file), Usings + text);
        }

        return Path.Combine(dir, name + ".csproj");
    }

    private static async Task<(int Exit, string Output)> BuildAsync(string project)
    {
        // The Symphainy projects were built with this test (same configuration): reuse them, do not rebuild them.
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "build", project, "-c", configuration, "-p:BuildProjectReferences=false", "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    private static string RepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Symphainy.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Symphainy.sln not found");
        }

        return root;
    }

    private const string Usings = """
        using Microsoft.Extensions.AI;
        using Symphainy.Agents;
        using Symphainy.Realms;
        using Symphainy.Sagas;

        namespace Scratch;

        """;

    private const string CleanRealm = Usings + """
        public sealed record Order(string Id, int Quantity);

        public sealed class ShopRealm : RealmManager
        {
            protected override void Register(RealmCatalog catalog) => catalog
                .Service<Pricing>()
                .Agent<Advisor>()
                .Capability<PlaceOrder>("shop.place_order", "Prices an order and explains the price.");
        }

        public sealed class Pricing : IRealmService
        {
            public decimal Price(Order order) => order.Quantity * 2.5m;
        }

        public sealed class Advisor(IChatClient chat) : AgentBase<decimal, string>(chat)
        {
            public override string PromptVersion => "advisor/1";

            protected override Task<AgentArtifact<string>> RunCoreAsync(AgentContext<decimal> context) => throw new NotSupportedException();
        }

        public sealed class PlaceOrder : Orchestrator<Order, string>
        {
            public override async Task<string> RunAsync(SagaContext saga, Order input)
            {
                var price = await saga.Step("price", (Pricing s) => s.Price(input));
                var placedAt = await saga.Step("now", _ => Task.FromResult(DateTimeOffset.UtcNow));
                await saga.Delay("cool-off", TimeSpan.FromSeconds(1));
                return await saga.Agent("explain", (Advisor a) => Task.FromResult($"{a.PromptVersion} {price} {placedAt:O}"));
            }
        }
        """;

    private static readonly Dictionary<string, string> AntiPatterns = new()
    {
        ["ServiceCallsService.cs"] = """
            public sealed class Discounts(Pricing pricing) : IRealmService
            {
                public decimal Discounted(Order order) => pricing.Price(order) * 0.9m;
            }
            """,
        ["AgentInService.cs"] = """
            public sealed class Explaining(Advisor advisor) : IRealmService
            {
                public string Version() => advisor.PromptVersion;
            }
            """,
        ["MutableOrchestrator.cs"] = """
            public sealed class CountOrders : Orchestrator<Order, int>
            {
                private int _runs;

                public override Task<int> RunAsync(SagaContext saga, Order input) => Task.FromResult(++_runs + input.Quantity);
            }
            """,
        ["StoreAccess.cs"] = """
            public sealed class Fetcher(HttpClient http) : IRealmService
            {
                public Task<string> Fetch(Order order) => http.GetStringAsync(new Uri("http://localhost/" + order.Id));
            }
            """,
        ["HelperReasoning.cs"] = """
            public sealed class Summaries(IChatClient chat)
            {
                public async Task<string> Summarize(Order order) => (await chat.GetResponseAsync(order.Id)).Text;
            }
            """,
        ["NonDeterministicOrchestrator.cs"] = """
            public sealed class StampOrder : Orchestrator<Order, string>
            {
                public override Task<string> RunAsync(SagaContext saga, Order input) => Task.FromResult($"{input.Id}-{Guid.NewGuid()}");
            }
            """,
    };
}
