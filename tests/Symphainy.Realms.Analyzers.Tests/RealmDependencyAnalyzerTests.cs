namespace Symphainy.Realms.Analyzers.Tests;

public sealed class RealmDependencyAnalyzerTests
{
    private const string Explainer = """
        public sealed class Explainer(IChatClient chat) : AgentBase<string, string>(chat)
        {
            public override string PromptVersion => "explainer/1";

            protected override async Task<AgentArtifact<string>> RunCoreAsync(AgentContext<string> context)
            {
                var response = await Chat.GetResponseAsync("why?");
                throw new NotSupportedException(response.Text);
            }
        }

        """;

    [Fact]
    public Task SYMR001_a_service_that_takes_creates_or_calls_another_service_is_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics("""
        public sealed class Loader : IRealmService
        {
            public int Load() => 1;
            public static int Version() => 2;
        }

        public sealed class Rules(Loader {|SYMR001:loader|}) : IRealmService
        {
            private readonly Loader {|SYMR001:_spare|} = {|SYMR001:new Loader()|};

            public int Check() => {|SYMR001:loader.Load()|} + {|SYMR001:Loader.Version()|};
        }
        """);

    [Fact]
    public Task SYMR001_a_service_calling_itself_and_an_orchestrator_calling_services_as_steps_are_not_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics("""
        public sealed class Loader : IRealmService
        {
            public int Load() => Twice(1);
            private int Twice(int value) => value * 2;
        }

        public sealed class Rules : IRealmService
        {
            public int Check(int loaded) => loaded + 1;
        }

        public sealed class Flow : Orchestrator<string, int>
        {
            public override async Task<int> RunAsync(SagaContext saga, string input)
            {
                var loaded = await saga.Step("load", (Loader s) => s.Load());
                return await saga.Step("check", (Rules s) => s.Check(loaded));
            }
        }
        """);

    [Fact]
    public Task SYMR002_a_service_that_holds_or_calls_an_agent_or_a_chat_client_is_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics(Explainer + """
        public sealed class Rules(Explainer {|SYMR002:explainer|}, IChatClient {|SYMR002:chat|}) : IRealmService
        {
            public string Name() => {|SYMR002:explainer.ToString()|};

            public Task<ChatResponse> Ask() => {|SYMR002:chat.GetResponseAsync("why?")|};
        }
        """);

    [Fact]
    public Task SYMR002_an_orchestrator_calling_the_agent_with_saga_Agent_is_not_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics(Explainer + """
        public sealed class Rules : IRealmService
        {
            public int Check(string table) => table.Length;
        }

        public sealed class Flow : Orchestrator<string, string>
        {
            public override async Task<string> RunAsync(SagaContext saga, string input)
            {
                var issues = await saga.Step("check", (Rules s) => s.Check(input));
                return await saga.Agent("explain", (Explainer a) => Task.FromResult(a.PromptVersion + issues));
            }
        }
        """);

    [Fact]
    public Task SYMR004_realm_types_that_touch_a_database_redis_ef_core_http_or_a_write_port_are_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics("""
        public sealed class Store(System.Data.Common.DbConnection {|SYMR004:connection|}) : IRealmService
        {
            public void Save() => {|SYMR004:connection.Open()|};
        }

        public sealed class ShopDb : Microsoft.EntityFrameworkCore.DbContext;

        public sealed class Cache(StackExchange.Redis.IDatabase {|SYMR004:redis|}, ShopDb {|SYMR004:db|}) : IRealmService
        {
            public void Put() => {|SYMR004:redis.StringSet("k", "v")|};
        }

        public sealed class Flow : Orchestrator<string, string>
        {
            private static readonly System.Net.Http.HttpClient {|SYMR004:Http|} = {|SYMR004:new System.Net.Http.HttpClient()|};

            public override Task<string> RunAsync(SagaContext saga, string input) =>
                saga.Step("fetch", ct => {|SYMR004:Http.GetStringAsync(new Uri("http://localhost/"), ct)|});
        }

        public sealed class ShopRealm(Symphainy.Wal.IWriteAheadLog {|SYMR004:log|}, Symphainy.State.IStateGraph {|SYMR004:graph|}) : RealmManager
        {
            protected override void Register(RealmCatalog catalog)
            {
            }
        }

        namespace StackExchange.Redis
        {
            public interface IDatabase
            {
                void StringSet(string key, string value);
            }
        }

        namespace Microsoft.EntityFrameworkCore
        {
            public class DbContext;
        }
        """);

    [Fact]
    public Task SYMR004_a_host_class_using_a_database_and_a_service_given_data_as_input_are_not_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics("""
        public sealed class Migrations(System.Data.Common.DbConnection connection)
        {
            public void Run() => connection.Open();
        }

        public sealed class Rules : IRealmService
        {
            public int Count(IReadOnlyList<string> rows) => rows.Count;
        }
        """);

    [Fact]
    public Task SYMR005_reasoning_with_a_chat_client_in_a_helper_or_an_orchestrator_is_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics("""
        public sealed class Summarizer(IChatClient chat)
        {
            public Task<ChatResponse> Summarize(string text) => {|SYMR005:chat.GetResponseAsync(text)|};
        }

        public sealed class Flow(IChatClient {|SYMR005:chat|}) : Orchestrator<string, string>
        {
            public override Task<string> RunAsync(SagaContext saga, string input) =>
                saga.Step("ask", async ct => (await {|SYMR005:chat.GetResponseAsync(input, cancellationToken: ct)|}).Text);
        }
        """);

    [Fact]
    public Task SYMR005_an_agent_a_chat_client_pipeline_and_host_wiring_are_not_flagged() => Verify<RealmDependencyAnalyzer>.Diagnostics(Explainer + """
        public sealed class Logged(IChatClient inner) : DelegatingChatClient(inner)
        {
            public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions options = null, CancellationToken cancellationToken = default) =>
                base.GetResponseAsync(messages, options, cancellationToken);
        }

        public sealed class Wiring
        {
            public IChatClient Client { get; } = new Logged(new LocalChatClient());
        }
        """);
}
