using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Symphainy.Agents;

/// <summary>
/// An agent that answers only from facts it gathered, in four explicit stages a subclass may customise:
/// <list type="number">
/// <item><see cref="GatherAsync"/>: the model is given the context's read-only tools and calls them; their results
/// are the sources.</item>
/// <item><see cref="ExtractFactsAsync"/>: the sources become typed facts with source references (JSON-schema
/// constrained output), naming the fact schemas the context's <see cref="AgentContext{TInput}.FactPolicies"/> offer;
/// those policies check them before any reasoning rests on them.</item>
/// <item><see cref="ReasonAsync"/>: the model answers using only those facts; every claim cites fact ids
/// (the artifact's own JSON schema).</item>
/// <item><see cref="Validate"/>: uncited claims and citations of unknown facts, handled by <see cref="Validation"/>.</item>
/// </list>
/// </summary>
/// <typeparam name="TInput">What the agent is given.</typeparam>
/// <typeparam name="TArtifact">Its artifact: claims citing facts.</typeparam>
public abstract class GroundedReasoningAgentBase<TInput, TArtifact> : AgentBase<TInput, TArtifact>
    where TArtifact : IGroundedArtifact
{
    /// <summary>Creates the agent on a chat client.</summary>
    /// <param name="chat">The model.</param>
    protected GroundedReasoningAgentBase(IChatClient chat)
        : base(chat)
    {
    }

    /// <summary>What to do with an artifact that fails validation. Default: retry the reasoning, then reject.</summary>
    public virtual AgentValidationPolicy Validation => AgentValidationPolicy.RetryThenReject;

    /// <summary>How many times <see cref="AgentValidationPolicy.RetryThenReject"/> runs the reasoning again. Default 1.</summary>
    public virtual int ValidationRetries => 1;

    /// <summary>How many rounds of tool calls the gathering stage allows. Default 3.</summary>
    public virtual int MaxToolRounds => 3;

    /// <summary>The question the input asks, in words: what the model gathers facts for and answers.</summary>
    /// <param name="input">The input.</param>
    /// <returns>The question.</returns>
    protected abstract string Question(TInput input);

    /// <inheritdoc/>
    protected sealed override async Task<AgentArtifact<TArtifact>> RunCoreAsync(AgentContext<TInput> context)
    {
        var run = new GroundingRun();
        var sources = await GatherAsync(context, run).ConfigureAwait(false);
        var facts = await ExtractFactsAsync(context, sources, run).ConfigureAwait(false);
        CheckFacts(context, facts); // before any reasoning rests on them
        IReadOnlyList<string> problems = [];
        for (var attempt = 0; ; attempt++)
        {
            var artifact = await ReasonAsync(context, facts, problems, run).ConfigureAwait(false);
            problems = Validation == AgentValidationPolicy.Off ? [] : Validate(artifact, facts);
            if (problems.Count == 0)
            {
                return AgentArtifact.Create(artifact, run.Model, PromptVersion, run.Usage, facts);
            }

            switch (Validation)
            {
                case AgentValidationPolicy.Warn:
                    return AgentArtifact.Create(artifact, run.Model, PromptVersion, run.Usage, facts, problems);
                case AgentValidationPolicy.RetryThenReject when attempt < ValidationRetries:
                    continue; // asked again, with the problems named
                default:
                    throw new SymphainyException(AgentErrorCodes.Ungrounded, $"Agent {Name}: the artifact is not grounded: {string.Join("; ", problems)}");
            }
        }
    }

    /// <summary>
    /// Stage 1: gives the model the context's tools and runs the calls it makes (read-only, each result a source),
    /// for up to <see cref="MaxToolRounds"/> rounds.
    /// </summary>
    /// <param name="context">What the agent is given.</param>
    /// <param name="run">The run's model and token count.</param>
    /// <returns>The sources gathered.</returns>
    protected virtual async Task<IReadOnlyList<AgentSource>> GatherAsync(AgentContext<TInput> context, GroundingRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var sources = new List<AgentSource>();
        if (context.Tools.Count == 0)
        {
            return sources;
        }

        List<ChatMessage> messages =
        [
            new(ChatRole.System, "Gather the material needed to answer the user's question: call the tools you are given. Do not answer yet."),
            new(ChatRole.User, Question(context.Input)),
        ];
        var options = new ChatOptions { Tools = [.. context.Tools] };
        for (var round = 0; round < MaxToolRounds; round++)
        {
            var response = run.Count(await AskAsync(messages, options, context.CancellationToken).ConfigureAwait(false));
            var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
            if (calls.Count == 0)
            {
                break;
            }

            messages.AddRange(response.Messages);
            foreach (var call in calls)
            {
                var tool = context.Tools.FirstOrDefault(t => t.Name == call.Name);
                object? result = tool is null
                    ? $"There is no tool named '{call.Name}'."
                    : await tool.InvokeAsync(new AIFunctionArguments(call.Arguments), context.CancellationToken).ConfigureAwait(false);
                messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, result)]));
                if (tool is not null)
                {
                    sources.AddRange(AgentSource.FromToolResult(tool.Name, result));
                }
            }
        }

        return sources;
    }

    /// <summary>Stage 2: turns the sources into typed facts, each with its source (JSON-schema constrained output).</summary>
    /// <param name="context">What the agent is given.</param>
    /// <param name="sources">The sources gathered.</param>
    /// <param name="run">The run's model and token count.</param>
    /// <returns>The facts, with ids <c>f1</c>, <c>f2</c>, … in order.</returns>
    protected virtual async Task<IReadOnlyList<Fact>> ExtractFactsAsync(AgentContext<TInput> context, IReadOnlyList<AgentSource> sources, GroundingRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(run);
        if (sources.Count == 0)
        {
            return [];
        }

        var material = new StringBuilder();
        foreach (var source in sources)
        {
            material.Append("[source: ").Append(source.Source).Append("] ").AppendLine(source.Text);
        }

        var instructions = new StringBuilder("Extract the facts stated in the sources below as short statements, each with the source it comes from. Add nothing the sources do not say.\n");
        var schemas = context.FactPolicies.SelectMany(p => p.SchemasFor(context.Tenant)).ToList();
        if (schemas.Count > 0)
        {
            instructions.AppendLine("When a fact is of one of these schemas, give the schema's name as its schema and its value as JSON; leave both empty otherwise:");
            foreach (var schema in schemas)
            {
                instructions.Append("- ").Append(schema.Name).Append(": ").AppendLine(schema.Description);
            }
        }

        List<ChatMessage> messages =
        [
            new(ChatRole.System, instructions.Append(material).ToString()),
            new(ChatRole.User, Question(context.Input)),
        ];
        var extracted = await AskForAsync<ExtractedFacts>(messages, run, context.CancellationToken).ConfigureAwait(false);
        var known = sources.Select(s => s.Source).ToHashSet(StringComparer.Ordinal);
        return [.. (extracted.Facts ?? []).Where(f => !string.IsNullOrWhiteSpace(f.Statement) && known.Contains(f.Source))
            .Select((f, i) => new Fact($"f{i + 1}", f.Statement.Trim(), f.Source)
            {
                Schema = string.IsNullOrWhiteSpace(f.Schema) ? null : f.Schema.Trim(),
                Value = f.Value is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } value ? value : null,
            })];
    }

    /// <summary>
    /// Stage 3: asks the model for the artifact (its JSON schema), using only <paramref name="facts"/>; every claim
    /// cites the ids of the facts it rests on. <paramref name="problems"/> names what was wrong with the last answer.
    /// </summary>
    /// <param name="context">What the agent is given.</param>
    /// <param name="facts">The facts it may use.</param>
    /// <param name="problems">The previous answer's validation problems (empty the first time).</param>
    /// <param name="run">The run's model and token count.</param>
    /// <returns>The artifact.</returns>
    protected virtual async Task<TArtifact> ReasonAsync(AgentContext<TInput> context, IReadOnlyList<Fact> facts, IReadOnlyList<string> problems, GroundingRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(run);
        var prompt = new StringBuilder("Answer the user's question using only the facts below. Every claim cites the ids of the facts it rests on. If the facts do not answer the question, say so and make no claim.\nFacts:\n");
        foreach (var fact in facts)
        {
            prompt.Append('[').Append(fact.Id).Append("] ").Append(fact.Statement).Append(" (").Append(fact.Source).AppendLine(")");
        }

        if (problems.Count > 0)
        {
            prompt.AppendLine("Your previous answer had these problems; fix them:").AppendJoin('\n', problems);
        }

        return await AskForAsync<TArtifact>([new(ChatRole.System, prompt.ToString()), new(ChatRole.User, Question(context.Input))], run, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stage 4: the artifact's problems: claims that cite no fact, and citations of facts not gathered.</summary>
    /// <param name="artifact">The artifact.</param>
    /// <param name="facts">The facts gathered.</param>
    /// <returns>Each problem in words; empty when the artifact is grounded.</returns>
    protected virtual IReadOnlyList<string> Validate(TArtifact artifact, IReadOnlyList<Fact> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (artifact is null)
        {
            return ["the artifact is empty"];
        }

        var ids = facts.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var claim in artifact.Claims ?? [])
        {
            if (claim.Citations is not { Count: > 0 })
            {
                problems.Add($"claim \"{claim.Text}\" cites no fact");
                continue;
            }

            problems.AddRange(claim.Citations.Where(c => !ids.Contains(c)).Select(c => $"claim \"{claim.Text}\" cites unknown fact '{c}'"));
        }

        return problems;
    }

    private async Task<T> AskForAsync<T>(List<ChatMessage> messages, GroundingRun run, CancellationToken cancellationToken)
    {
        ChatResponse<T> response;
        try
        {
            response = await Chat.GetResponseAsync<T>(messages, AgentJson.Options, options: null, useJsonSchemaResponseFormat: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SymphainyException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new SymphainyException(AgentErrorCodes.ModelFailed, $"Agent {Name}: the model failed: {e.GetType().Name}: {e.Message}", e);
        }

        run.Count(response);
        try
        {
            if (response.TryGetResult(out var result) && result is not null)
            {
                return result;
            }
        }
        catch (JsonException)
        {
        }

        var text = response.Text;
        throw new SymphainyException(AgentErrorCodes.InvalidOutput, $"Agent {Name}: the model's answer is not a {typeof(T).Name}: {(text.Length > 200 ? text[..200] + "…" : text)}");
    }

    private sealed record ExtractedFacts(IReadOnlyList<ExtractedFact>? Facts);

    private sealed record ExtractedFact(string Statement, string Source, string? Schema = null, JsonElement? Value = null);
}

/// <summary>What a grounded agent's model calls have used so far: the model's name and the tokens.</summary>
public sealed class GroundingRun
{
    /// <summary>The model that answered (the last one that said).</summary>
    public string Model { get; private set; } = "unknown";

    /// <summary>Tokens used so far.</summary>
    public AgentUsage Usage { get; private set; } = AgentUsage.None;

    /// <summary>Counts a response's model and tokens.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The same response.</returns>
    public ChatResponse Count(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Model = response.ModelId ?? Model;
        Usage = Usage.Add(AgentUsage.From(response.Usage));
        return response;
    }
}

/// <summary>Material a tool returned: where it comes from and what it says.</summary>
/// <param name="Source">A reference to where it comes from (a document id, a node id).</param>
/// <param name="Text">What it says.</param>
public sealed record AgentSource(string Source, string Text)
{
    /// <summary>
    /// The sources in a tool's result: a list of <see cref="AgentSource"/> (or JSON objects with <c>source</c> and
    /// <c>text</c>) one each; anything else one source named after the tool.
    /// </summary>
    /// <param name="tool">The tool's name.</param>
    /// <param name="result">What it returned.</param>
    /// <returns>The sources.</returns>
    public static IReadOnlyList<AgentSource> FromToolResult(string tool, object? result)
    {
        switch (result)
        {
            case null:
                return [];
            case IEnumerable<AgentSource> sources:
                return [.. sources];
            case AgentSource source:
                return [source];
            case string text:
                return [new AgentSource(tool, text)];
        }

        var json = result is JsonElement element ? element : JsonSerializer.SerializeToElement(result, AgentJson.Options);
        if (json.ValueKind == JsonValueKind.Array && json.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("source", out _) && e.TryGetProperty("text", out _)))
        {
            return [.. json.EnumerateArray().Select(e => new AgentSource(e.GetProperty("source").GetString() ?? tool, e.GetProperty("text").GetString() ?? ""))];
        }

        return [new AgentSource(tool, json.ValueKind == JsonValueKind.String ? json.GetString() ?? "" : json.GetRawText())];
    }
}
