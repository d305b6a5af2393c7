using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Symphainy.Agents;

/// <summary>
/// What an agent is given, and all it is given: the input, who asks (tenant, session, saga), read-only tools, a clock
/// and a cancellation token. Nothing in it writes: no log, no store, no event bus, no service provider.
/// </summary>
/// <typeparam name="TInput">The agent's input.</typeparam>
/// <param name="Input">The input.</param>
/// <param name="Tenant">The tenant the agent reasons for.</param>
/// <param name="Session">The session, if any.</param>
/// <param name="Saga">The saga that asks, if any.</param>
/// <param name="Tools">Read-only runtime tools, as functions a model may call.</param>
/// <param name="Time">The host's clock.</param>
/// <param name="CancellationToken">Cancels the agent's work.</param>
public sealed record AgentContext<TInput>(
    TInput Input,
    TenantId Tenant,
    SessionId? Session,
    SagaId? Saga,
    IReadOnlyList<AIFunction> Tools,
    TimeProvider Time,
    CancellationToken CancellationToken)
{
    /// <summary>
    /// The policies every fact the agent relies on must pass (the host's <see cref="IFactPolicy"/> registrations, the
    /// Librarian's fact schemas among them); a fact one of them rejects fails the call. Read-only, like the tools.
    /// </summary>
    public IReadOnlyList<IFactPolicy> FactPolicies { get; init; } = [];
}

/// <summary>
/// A fact an agent relies on, with where it came from; a typed fact also names its schema and carries its value, which
/// the host's <see cref="IFactPolicy"/>s check (the Librarian's fact schemas).
/// </summary>
/// <param name="Id">The fact's id within the artifact (<c>f1</c>, <c>f2</c>, …); claims cite it.</param>
/// <param name="Statement">What the fact says.</param>
/// <param name="Source">Where it comes from (a document, a record, a node of the state graph).</param>
public sealed record Fact(string Id, string Statement, string Source)
{
    /// <summary>The name of the schema the fact is an instance of; null for a plain statement.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Schema { get; init; }

    /// <summary>The fact's value as its schema types it (a number, a date, an object with the schema's fields); null for a plain statement.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Value { get; init; }
}

/// <summary>A statement of an artifact and the ids of the facts it rests on.</summary>
/// <param name="Text">The statement.</param>
/// <param name="Citations">The ids of the facts it cites; a grounded claim cites at least one.</param>
public sealed record Claim(string Text, IReadOnlyList<string> Citations);

/// <summary>An artifact made of claims, each citing facts: what a grounded agent returns.</summary>
public interface IGroundedArtifact
{
    /// <summary>The artifact's claims.</summary>
    IReadOnlyList<Claim> Claims { get; }
}

/// <summary>Tokens a model call used.</summary>
/// <param name="InputTokens">Tokens read.</param>
/// <param name="OutputTokens">Tokens written.</param>
public sealed record AgentUsage(long InputTokens, long OutputTokens)
{
    /// <summary>No tokens.</summary>
    public static AgentUsage None { get; } = new(0, 0);

    /// <summary>The sum of two usages.</summary>
    /// <param name="other">The usage to add.</param>
    /// <returns>The sum.</returns>
    public AgentUsage Add(AgentUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new AgentUsage(InputTokens + other.InputTokens, OutputTokens + other.OutputTokens);
    }

    /// <summary>The usage a chat response reports (zero where it reports none).</summary>
    /// <param name="details">The response's usage.</param>
    /// <returns>The usage.</returns>
    public static AgentUsage From(UsageDetails? details) => new(details?.InputTokenCount ?? 0, details?.OutputTokenCount ?? 0);
}

/// <summary>
/// What an agent returns: its result, the model and prompt version that produced it, the tokens it used, the facts it
/// relied on, the warnings its validation raised (policy <see cref="AgentValidationPolicy.Warn"/>), and a content hash
/// over result and facts. The Runtime records it whole (<c>AgentOutput</c>) and replays it instead of asking again.
/// </summary>
/// <typeparam name="TResult">The result.</typeparam>
/// <param name="Result">The result.</param>
/// <param name="Model">The model that produced it.</param>
/// <param name="PromptVersion">The version of the agent's prompts.</param>
/// <param name="Usage">Tokens used, over every model call of this run.</param>
/// <param name="Facts">The facts the result relies on.</param>
/// <param name="Warnings">Problems validation found and let through.</param>
/// <param name="ContentHash">SHA-256 (hex) of the result and the facts, as JSON.</param>
public sealed record AgentArtifact<TResult>(
    TResult Result,
    string Model,
    string PromptVersion,
    AgentUsage Usage,
    IReadOnlyList<Fact> Facts,
    IReadOnlyList<string> Warnings,
    string ContentHash)
{
}

/// <summary>Builds <see cref="AgentArtifact{TResult}"/>s.</summary>
public static class AgentArtifact
{
    /// <summary>Builds an artifact and computes its content hash.</summary>
    /// <typeparam name="TResult">The result.</typeparam>
    /// <param name="result">The result.</param>
    /// <param name="model">The model that produced it.</param>
    /// <param name="promptVersion">The version of the prompts.</param>
    /// <param name="usage">Tokens used.</param>
    /// <param name="facts">The facts it relies on.</param>
    /// <param name="warnings">Validation warnings let through.</param>
    /// <returns>The artifact.</returns>
    public static AgentArtifact<TResult> Create<TResult>(TResult result, string model, string promptVersion, AgentUsage usage, IReadOnlyList<Fact> facts, IReadOnlyList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new HashedContent<TResult>(result, facts), AgentJson.Options);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json));
        return new AgentArtifact<TResult>(result, model, promptVersion, usage, facts, warnings ?? [], hash);
    }

    private sealed record HashedContent<T>([property: JsonPropertyName("result")] T Result, [property: JsonPropertyName("facts")] IReadOnlyList<Fact> Facts);
}

/// <summary>What a grounded agent does when its artifact fails validation (uncited claims, unknown citations, a broken schema).</summary>
public enum AgentValidationPolicy
{
    /// <summary>No validation: the artifact is returned as the model made it.</summary>
    Off,

    /// <summary>Problems are logged and listed in <see cref="AgentArtifact{TResult}.Warnings"/>; the artifact is returned.</summary>
    Warn,

    /// <summary>Problems fail the call with <c>agent.ungrounded</c> (not retryable).</summary>
    Reject,

    /// <summary>The reasoning stage runs again with the problems named (up to the agent's retry count), then rejects.</summary>
    RetryThenReject,
}

internal static class AgentJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
