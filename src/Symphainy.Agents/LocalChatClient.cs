using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Symphainy.Agents;

/// <summary>
/// A deterministic, offline <see cref="IChatClient"/> so that samples and tests run anywhere and give the same answer
/// every time. It is rule-based, not a language model:
/// <list type="bullet">
/// <item>given tools and no tool results yet, it calls every tool once, passing the user's last message to each
/// string parameter;</item>
/// <item>asked for JSON with a <c>facts</c> property, it splits each <c>[source: id] text</c> line of the prompt into
/// sentences, one fact each, with that source;</item>
/// <item>asked for JSON with a <c>claims</c> property, it takes the facts listed as <c>[fN] statement</c> that share a
/// word with the question, one claim each citing that fact, and joins them into any string property
/// (<c>answer</c>, <c>summary</c>, …); with none it says the facts do not answer the question;</item>
/// <item>otherwise it answers that it only reasons over facts it is given.</item>
/// </list>
/// Tokens are counted as words. Any real chat client (OpenAI, Azure OpenAI, Ollama) replaces it through DI.
/// </summary>
public sealed partial class LocalChatClient : IChatClient
{
    /// <summary>The model name this client reports.</summary>
    public const string ModelName = "symphainy-local-1";

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "for", "are", "was", "were", "what", "which", "when", "where", "who", "why", "how", "does", "did",
        "with", "that", "this", "from", "have", "has", "into", "about", "there", "their", "them", "they", "than", "then",
    };

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var conversation = messages.ToList();
        var reply = Answer(conversation, options);
        var inputWords = conversation.Sum(m => Words(m.Text));
        return Task.FromResult(new ChatResponse(reply)
        {
            ModelId = ModelName,
            FinishReason = reply.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = inputWords, OutputTokenCount = Words(reply.Text) + reply.Contents.OfType<FunctionCallContent>().Count(), TotalTokenCount = null },
        });
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(nameof(LocalChatClient), null, ModelName)
            : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private static ChatMessage Answer(List<ChatMessage> conversation, ChatOptions? options)
    {
        var question = conversation.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var tools = options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        if (tools.Count > 0 && !conversation.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Any())
        {
            var calls = tools.Select((tool, i) => (AIContent)new FunctionCallContent($"call-{i + 1}", tool.Name, StringArguments(tool, question))).ToList();
            return new ChatMessage(ChatRole.Assistant, calls);
        }

        if (options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema })
        {
            var properties = Properties(schema);
            var prompt = string.Join('\n', conversation.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
            if (properties.ContainsKey("facts"))
            {
                return new ChatMessage(ChatRole.Assistant, Extract(prompt).ToJsonString());
            }

            if (properties.ContainsKey("claims"))
            {
                return new ChatMessage(ChatRole.Assistant, Reason(prompt, question, properties).ToJsonString());
            }
        }

        return new ChatMessage(ChatRole.Assistant, "I only reason over facts I am given, and none answer this.");
    }

    // One fact per sentence of each "[source: id] text" line.
    private static JsonObject Extract(string prompt)
    {
        var facts = new JsonArray();
        foreach (Match line in SourceLine().Matches(prompt))
        {
            var source = line.Groups[1].Value.Trim();
            foreach (var sentence in Sentences(line.Groups[2].Value))
            {
                facts.Add(new JsonObject { ["statement"] = sentence, ["source"] = source });
            }
        }

        return new JsonObject { ["facts"] = facts };
    }

    // One claim per listed fact that shares a significant word with the question.
    private static JsonObject Reason(string prompt, string question, Dictionary<string, JsonElement> properties)
    {
        var asked = Significant(question);
        var claims = new JsonArray();
        var texts = new List<string>();
        foreach (Match line in FactLine().Matches(prompt))
        {
            var statement = line.Groups[2].Value.Trim();
            if (Significant(statement).Overlaps(asked))
            {
                claims.Add(new JsonObject { ["text"] = statement, ["citations"] = new JsonArray(line.Groups[1].Value) });
                texts.Add($"{statement} [{line.Groups[1].Value}]");
            }
        }

        var answer = texts.Count == 0 ? "The facts gathered do not answer this question." : string.Join(' ', texts);
        var result = new JsonObject();
        foreach (var (name, property) in properties)
        {
            result[name] = name == "claims" ? claims : Default(property, answer);
        }

        return result;
    }

    private static JsonNode? Default(JsonElement property, string answer)
    {
        var type = property.TryGetProperty("type", out var t) ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().First().GetString() : t.GetString() : "string";
        return type switch
        {
            "string" => answer,
            "array" => new JsonArray(),
            "integer" or "number" => 0,
            "boolean" => false,
            "object" => new JsonObject(),
            _ => null,
        };
    }

    private static Dictionary<string, JsonElement> Properties(JsonElement schema)
    {
        // Structured output may wrap the type's schema in a "data" property.
        if (schema.TryGetProperty("properties", out var properties))
        {
            var all = properties.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
            return all.Count == 1 && all.TryGetValue("data", out var data) && data.TryGetProperty("properties", out _) ? Properties(data) : all;
        }

        return [];
    }

    private static Dictionary<string, object?> StringArguments(AIFunctionDeclaration tool, string question)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (tool.JsonSchema.TryGetProperty("properties", out var parameters))
        {
            foreach (var parameter in parameters.EnumerateObject())
            {
                if (parameter.Value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "string")
                {
                    arguments[parameter.Name] = question;
                }
            }
        }

        return arguments;
    }

    private static IEnumerable<string> Sentences(string text) =>
        SentenceEnd().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0).Select(s => s.EndsWith('.') ? s : s + ".");

    private static HashSet<string> Significant(string text) =>
        WordPattern().Matches(text).Select(m => m.Value.ToLowerInvariant()).Where(w => w.Length > 3 && !StopWords.Contains(w)).Select(Stem).ToHashSet(StringComparer.Ordinal);

    // "refunds" and "refund" are one word here.
    private static string Stem(string word) => word.Length > 4 && word.EndsWith('s') ? word[..^1] : word;

    private static int Words(string? text) => string.IsNullOrEmpty(text) ? 0 : WordPattern().Count(text);

    [GeneratedRegex(@"^\[source: ([^\]]+)\] (.*)$", RegexOptions.Multiline)]
    private static partial Regex SourceLine();

    [GeneratedRegex(@"^\[(f\d+)\] (.*?)(?: \([^()]*\))?$", RegexOptions.Multiline)]
    private static partial Regex FactLine();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}
