// GroundedAgent: a grounded agent answers questions over ingested documents, citing the facts it used.
// The documents in ./docs are ingested into a read-only library the agent searches through a tool; the agent gathers,
// extracts sourced facts, reasons only from them and cites each claim; the whole artifact is recorded in the log.
// Runs offline on the deterministic local chat client; register any IChatClient (OpenAI, Ollama, ...) to use a model.
// Run it with: dotnet run --project samples/GroundedAgent -- "How long do refunds take?"
using System.Text.Json;
using GroundedAgent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy;
using Symphainy.Agents;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

var questions = args.Length > 0 ? args : ["How long do refunds take?", "Does the warranty cover water damage?", "Who founded the company?"];
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
var library = DocumentLibrary.Ingest(Path.Combine(AppContext.BaseDirectory, "docs"));
builder.Services.AddSingleton<IAgentToolSource>(library);
builder.Services.AddSymphainy(symphainy => symphainy
    .AddCapability<AskTheDocuments>("docs.ask", "docs", "Answers a question over the ingested documents, with citations.")
    .AddAgent<DocumentAnswerer>());

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"Ingested {library.Count} documents: {string.Join(", ", library.Ids)}");

var tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");
var intake = host.Services.GetRequiredService<IIntentIntake>();
var engine = host.Services.GetRequiredService<ISagaEngine>();
var failed = 0;
foreach (var question in questions)
{
    var accepted = await intake.SubmitAsync(new Intent("docs.ask", tenant, JsonSerializer.SerializeToElement(new Question(question))));
    var end = await engine.WaitForEndAsync(tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(30));
    Console.WriteLine();
    Console.WriteLine($"Q: {question}");
    if (end.State != SagaState.Completed)
    {
        Console.WriteLine($"   failed: {end.Error?.Code}: {end.Error?.Message}");
        failed++;
        continue;
    }

    var artifact = end.Output!.Value.Deserialize<AgentArtifact<Answer>>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    Console.WriteLine($"A: {artifact.Result.Text}");
    foreach (var claim in artifact.Result.Claims)
    {
        var cited = artifact.Facts.Where(f => claim.Citations.Contains(f.Id)).Select(f => $"{f.Id} from {f.Source}");
        Console.WriteLine($"   - {claim.Text}  [{string.Join("; ", cited)}]");
    }

    Console.WriteLine($"   model {artifact.Model}, prompts {artifact.PromptVersion}, {artifact.Usage.InputTokens + artifact.Usage.OutputTokens} tokens, hash {artifact.ContentHash[..12]}");
}

await host.StopAsync();
return failed == 0 ? 0 : 1;

namespace GroundedAgent
{
    public sealed record Question(string Text);

    public sealed record Answer(string Text, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

    /// <summary>Answers only from facts found in the documents; every claim cites them.</summary>
    public sealed class DocumentAnswerer(IChatClient chat) : GroundedReasoningAgentBase<Question, Answer>(chat)
    {
        public override string PromptVersion => "document-answerer/1";

        protected override string Question(Question input) => input.Text;
    }

    /// <summary>Asks the agent (recorded as one step) and returns its whole artifact.</summary>
    public sealed class AskTheDocuments : Orchestrator<Question, AgentArtifact<Answer>>
    {
        public override Task<AgentArtifact<Answer>> RunAsync(SagaContext saga, Question input) =>
            saga.Agent<DocumentAnswerer, Question, Answer>("answer", input);
    }

    /// <summary>The ingested documents, searchable by the agent through a read-only tool.</summary>
    public sealed class DocumentLibrary : IAgentToolSource
    {
        private readonly Dictionary<string, string> _documents;

        private DocumentLibrary(Dictionary<string, string> documents) => _documents = documents;

        public int Count => _documents.Count;

        public IEnumerable<string> Ids => _documents.Keys.Order(StringComparer.Ordinal);

        public static DocumentLibrary Ingest(string directory) =>
            new(Directory.GetFiles(directory, "*.md").Order(StringComparer.Ordinal)
                .ToDictionary(path => Path.GetFileNameWithoutExtension(path), path => File.ReadAllText(path).Trim(), StringComparer.Ordinal));

        public IEnumerable<AIFunction> ToolsFor(TenantId tenant, SessionId? session) =>
            [AIFunctionFactory.Create(Search, "search_documents", "Searches the ingested documents; returns the passages that mention the query's words, with their document ids.")];

        private List<AgentSource> Search(string query)
        {
            var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('?', '.', ',', '!').ToLowerInvariant()).Where(w => w.Length > 4).ToList();
            return [.. _documents.Where(d => words.Any(w => d.Value.Contains(w.TrimEnd('s'), StringComparison.OrdinalIgnoreCase))).Select(d => new AgentSource(d.Key, d.Value))];
        }
    }
}
