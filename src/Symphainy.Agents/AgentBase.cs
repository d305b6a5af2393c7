using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;

namespace Symphainy.Agents;

/// <summary>
/// An agent: a reasoning engine, not a service. Context in (<see cref="AgentContext{TInput}"/>), artifact out
/// (<see cref="AgentArtifact{TResult}"/>), no side effects: an agent writes no store, publishes no event and starts no
/// work; the Runtime records what it returns. Register agents with <c>AddAgent&lt;TAgent&gt;()</c> (which refuses one
/// whose constructor asks for a service that writes) and run them from a saga with
/// <c>saga.Agent&lt;TAgent, TInput, TArtifact&gt;(name, input)</c>.
/// </summary>
/// <typeparam name="TInput">What the agent is given.</typeparam>
/// <typeparam name="TArtifact">What it returns.</typeparam>
public abstract class AgentBase<TInput, TArtifact>
{
    /// <summary>Creates the agent on a chat client.</summary>
    /// <param name="chat">The model the agent reasons with (the host's <see cref="IChatClient"/>).</param>
    protected AgentBase(IChatClient chat)
    {
        ArgumentNullException.ThrowIfNull(chat);
        Chat = chat;
    }

    /// <summary>The agent's name in telemetry and errors (its type name unless overridden).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>The version of the agent's prompts, recorded with every artifact; change it when the prompts change.</summary>
    public abstract string PromptVersion { get; }

    /// <summary>The model the agent reasons with.</summary>
    protected IChatClient Chat { get; }

    /// <summary>
    /// Runs the agent once. Failures are typed <see cref="ErrorKind.Agent"/> errors (<see cref="AgentErrorCodes"/>);
    /// a cancelled token cancels. Each call is traced (<c>Symphainy.Agents</c> activity source) and measured
    /// (<c>symphainy.agent.duration</c>, <c>symphainy.agent.tokens</c>).
    /// </summary>
    /// <param name="context">What the agent is given.</param>
    /// <returns>The artifact.</returns>
    public async Task<AgentArtifact<TArtifact>> RunAsync(AgentContext<TInput> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CancellationToken.ThrowIfCancellationRequested();
        using var activity = AgentTelemetry.Source.StartActivity($"agent {Name}", ActivityKind.Internal);
        activity?.SetTag("symphainy.agent", Name);
        activity?.SetTag("symphainy.tenant", context.Tenant.ToString());
        var started = context.Time.GetTimestamp();
        try
        {
            var artifact = await RunCoreAsync(context).ConfigureAwait(false);
            CheckFacts(context, artifact.Facts);
            var tags = new TagList { { "agent", Name }, { "model", artifact.Model } };
            AgentTelemetry.Duration.Record(context.Time.GetElapsedTime(started).TotalMilliseconds, tags);
            AgentTelemetry.Tokens.Add(artifact.Usage.InputTokens, new TagList { { "agent", Name }, { "model", artifact.Model }, { "direction", "input" } });
            AgentTelemetry.Tokens.Add(artifact.Usage.OutputTokens, new TagList { { "agent", Name }, { "model", artifact.Model }, { "direction", "output" } });
            activity?.SetTag("symphainy.agent.model", artifact.Model);
            activity?.SetTag("symphainy.agent.tokens", artifact.Usage.InputTokens + artifact.Usage.OutputTokens);
            return artifact;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            AgentTelemetry.Failures.Add(1, new TagList { { "agent", Name }, { "code", (e as SymphainyException)?.Code ?? "cancelled" } });
            if (e is SymphainyException || (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
            {
                throw;
            }

            throw new SymphainyException(AgentErrorCodes.Failed, $"Agent {Name} failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>What the agent does: reason over the context and return its artifact.</summary>
    /// <param name="context">What the agent is given.</param>
    /// <returns>The artifact.</returns>
    protected abstract Task<AgentArtifact<TArtifact>> RunCoreAsync(AgentContext<TInput> context);

    /// <summary>
    /// Checks facts against the context's <see cref="AgentContext{TInput}.FactPolicies"/>. <see cref="RunAsync"/> checks
    /// every artifact's facts; an agent may check earlier, before it reasons over them.
    /// </summary>
    /// <param name="context">What the agent is given.</param>
    /// <param name="facts">The facts.</param>
    /// <exception cref="SymphainyException">A policy rejects a fact: the code of the first rejection; the message names every rejected fact.</exception>
    protected void CheckFacts(AgentContext<TInput> context, IReadOnlyList<Fact> facts)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(facts);
        if (context.FactPolicies.Count == 0 || facts.Count == 0)
        {
            return;
        }

        var rejections = new List<(Fact Fact, FactRejection Rejection)>();
        foreach (var fact in facts)
        {
            foreach (var policy in context.FactPolicies)
            {
                if (policy.Check(context.Tenant, fact) is { } rejection)
                {
                    rejections.Add((fact, rejection));
                    break;
                }
            }
        }

        if (rejections.Count > 0)
        {
            throw new SymphainyException(rejections[0].Rejection.Code,
                $"Agent {Name}: facts rejected: {string.Join("; ", rejections.Select(r => $"{r.Fact.Id} (schema '{r.Fact.Schema}', from {r.Fact.Source}): {r.Rejection.Reason} [{r.Rejection.Code.Code}]"))}");
        }
    }

    /// <summary>Asks the model; a failure of the model is <c>agent.model_failed</c>, retryable.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The call's options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model's response.</returns>
    protected async Task<ChatResponse> AskAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        try
        {
            return await Chat.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SymphainyException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new SymphainyException(AgentErrorCodes.ModelFailed, $"Agent {Name}: the model failed: {e.GetType().Name}: {e.Message}", e);
        }
    }
}

/// <summary>The agents' telemetry: activity source and meter <c>Symphainy.Agents</c>.</summary>
public static class AgentTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Symphainy.Agents";

    /// <summary>One activity per agent call.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>How long agent calls take, in milliseconds (tags: agent, model).</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("symphainy.agent.duration", "ms", "How long an agent call took");

    /// <summary>Tokens agent calls used (tags: agent, model, direction).</summary>
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("symphainy.agent.tokens", "{token}", "Tokens agent calls used");

    /// <summary>Agent calls that failed (tags: agent, code).</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>("symphainy.agent.failures", "{call}", "Agent calls that failed");
}
