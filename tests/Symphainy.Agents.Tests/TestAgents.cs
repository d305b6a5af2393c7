using Microsoft.Extensions.AI;

namespace Symphainy.Agents.Tests;

public sealed record Question(string Text);

public sealed record Answer(string Text, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

/// <summary>A grounded agent answering a question over whatever its tools return.</summary>
public sealed class PolicyAnswerer(IChatClient chat) : GroundedReasoningAgentBase<Question, Answer>(chat)
{
    public override string PromptVersion => "policy-answerer/1";

    public AgentValidationPolicy Policy { get; init; } = AgentValidationPolicy.RetryThenReject;

    public override AgentValidationPolicy Validation => Policy;

    protected override string Question(Question input) => input.Text;
}

/// <summary>An in-memory document collection and its search tool.</summary>
public sealed class Documents
{
    private readonly Dictionary<string, string> _documents = new()
    {
        ["doc-refunds"] = "Refunds are paid within 14 days of a return. Refunds go back to the card used for the purchase.",
        ["doc-shipping"] = "Orders ship within two working days. Shipping is free above 50 euros.",
        ["doc-warranty"] = "Every device carries a two year warranty. The warranty does not cover water damage.",
    };

    public List<string> Queries { get; } = [];

    public AIFunction Tool => AIFunctionFactory.Create(Search, "search_documents", "Searches the company's documents; returns matching passages with their document ids.");

    private List<AgentSource> Search(string query)
    {
        lock (Queries)
        {
            Queries.Add(query);
        }

        var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim('?', '.', ',').ToLowerInvariant()).Where(w => w.Length > 3).ToList();
        return [.. _documents.Where(d => words.Any(w => d.Value.Contains(w.TrimEnd('s'), StringComparison.OrdinalIgnoreCase))).Select(d => new AgentSource(d.Key, d.Value))];
    }
}

/// <summary>The local client, with the reasoning stage's answers scripted and every call counted.</summary>
public sealed class ScriptedChatClient(Func<int, string?>? reasoning = null, Exception? failure = null) : IChatClient
{
    private readonly LocalChatClient _local = new();
    private int _reasoning;
    private int _calls;

    public int ReasoningCalls => Volatile.Read(ref _reasoning);

    public int Calls => Volatile.Read(ref _calls);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (failure is not null)
        {
            throw failure;
        }

        var isReasoning = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema } && schema.GetRawText().Contains("\"claims\"", StringComparison.Ordinal);
        if (isReasoning)
        {
            var attempt = Interlocked.Increment(ref _reasoning);
            if (reasoning?.Invoke(attempt) is { } scripted)
            {
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, scripted)) { ModelId = "scripted" };
            }
        }

        return await _local.GetResponseAsync(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _local.GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
