namespace Symphainy.Realms.Analyzers.Tests;

public sealed class RealmStateAnalyzerTests
{
    [Fact]
    public Task SYMR003_mutable_orchestrator_and_service_state_and_static_mutable_state_in_any_realm_type_are_flagged() => Verify<RealmStateAnalyzer>.Diagnostics("""
        public sealed class Flow : Orchestrator<string, string>
        {
            private int {|SYMR003:_count|};
            private readonly List<string> {|SYMR003:_seen|} = new();
            private static int {|SYMR003:_runs|};

            public string {|SYMR003:Last|} { get; set; } = "";

            public override Task<string> RunAsync(SagaContext saga, string input)
            {
                _count++;
                _runs++;
                _seen.Add(input);
                Last = input;
                return Task.FromResult(input);
            }
        }

        public sealed class Rules : IRealmService
        {
            private static readonly Dictionary<string, int> {|SYMR003:Cache|} = new();
            private int[] {|SYMR003:_hits|} = [];

            public static int {|SYMR003:Calls|} { get; set; }

            public int Check(string input) => Cache.Count + _hits.Length + input.Length;
        }

        public sealed class ShopRealm : RealmManager
        {
            private static string {|SYMR003:_last|};

            protected override void Register(RealmCatalog catalog) => _last = catalog.Realm;
        }
        """);

    [Fact]
    public Task SYMR003_constants_immutable_read_only_values_init_properties_locals_and_non_realm_types_are_not_flagged() => Verify<RealmStateAnalyzer>.Diagnostics("""
        public sealed class Flow : Orchestrator<string, string>
        {
            private const int Limit = 3;
            private static readonly string Prefix = "p";
            private static readonly IReadOnlyList<string> Names = ["a"];
            private readonly int _threshold = 2;

            public string Name { get; init; } = "flow";

            public int Max { get; } = 4;

            public override Task<string> RunAsync(SagaContext saga, string input)
            {
                var seen = new List<string> { input, Prefix, Name };
                return Task.FromResult(string.Concat(seen) + Limit + _threshold + Max + Names.Count);
            }
        }

        public sealed class ShopRealm : RealmManager
        {
            private readonly List<string> _started = [];

            protected override void Register(RealmCatalog catalog) => _started.Add(catalog.Realm);
        }

        public sealed class Counter
        {
            private static int _count;

            public int Next() => ++_count;
        }
        """);
}
