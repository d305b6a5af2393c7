using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Symphainy.Hosting;
using Symphainy.Sagas;

namespace Symphainy.Agents;

/// <summary>Interop with Microsoft Agent Framework: its agents as recorded saga steps, and grounded agents as its agents.</summary>
public static class AgentFrameworkInterop
{
    /// <summary>
    /// Registers an Agent Framework agent (<see cref="AIAgent"/>) under <paramref name="name"/>, so sagas can run it as a
    /// recorded step with <see cref="RunAIAgent"/>.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="name">The name sagas use for it.</param>
    /// <param name="create">Creates the agent from the host's services.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddAIAgent(this ISymphainyBuilder builder, string name, Func<IServiceProvider, AIAgent> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        builder.AddAgents();
        builder.Services.AddSingleton(services => new AIAgentRegistration(name, create(services)));
        builder.Services.TryAddSingleton<AIAgentSteps>();
        return builder;
    }

    /// <summary>
    /// Runs the Agent Framework agent registered as <paramref name="agentName"/> on <paramref name="prompt"/> as a recorded
    /// step: its response is recorded as an <see cref="AgentArtifact{TResult}"/> of its text (model: the agent's name,
    /// usage: the response's) and replayed after a restart, never asked again. Its failures are <c>agent.model_failed</c>.
    /// </summary>
    /// <param name="saga">The saga.</param>
    /// <param name="name">The step's name.</param>
    /// <param name="agentName">The name the agent was registered under.</param>
    /// <param name="prompt">What the agent is asked.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <returns>The artifact (the recorded one on replay).</returns>
    public static Task<AgentArtifact<string>> RunAIAgent(this SagaContext saga, string name, string agentName, string prompt, StepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(saga);
        return saga.Agent<AIAgentSteps, AgentArtifact<string>>(name, steps => steps.RunAsync(agentName, prompt, saga.CancellationToken), options);
    }

    /// <summary>
    /// Exposes an agent as an Agent Framework <see cref="AIAgent"/> for hosts that already use that framework: each run
    /// turns the last user message into the agent's input and answers with its result as JSON; the whole artifact is in
    /// the response's <c>AdditionalProperties["symphainy.artifact"]</c>.
    /// </summary>
    /// <typeparam name="TInput">The agent's input.</typeparam>
    /// <typeparam name="TArtifact">Its artifact.</typeparam>
    /// <param name="agent">The agent.</param>
    /// <param name="input">Turns the user's message into the agent's input.</param>
    /// <param name="tenant">The tenant the agent works for.</param>
    /// <param name="tools">Read-only tools it may call.</param>
    /// <param name="time">The clock (the system's when null).</param>
    /// <returns>The agent, as an <see cref="AIAgent"/>.</returns>
    public static AIAgent AsAIAgent<TInput, TArtifact>(this AgentBase<TInput, TArtifact> agent, Func<string, TInput> input, TenantId tenant, IReadOnlyList<AIFunction>? tools = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(input);
        return new SymphainyAIAgent<TInput, TArtifact>(agent, input, tenant, tools ?? [], time ?? TimeProvider.System);
    }
}

/// <summary>An Agent Framework agent registered for saga steps.</summary>
/// <param name="Name">The name sagas use for it.</param>
/// <param name="Agent">The agent.</param>
public sealed record AIAgentRegistration(string Name, AIAgent Agent);

/// <summary>Runs registered Agent Framework agents for saga steps.</summary>
/// <param name="registrations">The registered agents.</param>
public sealed class AIAgentSteps(IEnumerable<AIAgentRegistration> registrations)
{
    private readonly Dictionary<string, AIAgent> _agents = registrations.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Agent, StringComparer.Ordinal);

    /// <summary>Runs agent <paramref name="agentName"/> on <paramref name="prompt"/>.</summary>
    /// <param name="agentName">The registered name.</param>
    /// <param name="prompt">What it is asked.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Its response as an artifact.</returns>
    public async Task<AgentArtifact<string>> RunAsync(string agentName, string prompt, CancellationToken cancellationToken)
    {
        if (!_agents.TryGetValue(agentName, out var agent))
        {
            throw new SymphainyException(AgentErrorCodes.Failed, $"No Agent Framework agent is registered as '{agentName}' (AddAIAgent); registered: {string.Join(", ", _agents.Keys)}.");
        }

        AgentResponse response;
        try
        {
            response = await agent.RunAsync(prompt, session: null, options: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SymphainyException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new SymphainyException(AgentErrorCodes.ModelFailed, $"Agent Framework agent '{agentName}' failed: {e.GetType().Name}: {e.Message}", e);
        }

        return AgentArtifact.Create(response.Text, agent.Name ?? agentName, $"agent-framework:{agentName}", AgentUsage.From(response.Usage), []);
    }
}

/// <summary>A Symphainy agent seen as an Agent Framework agent.</summary>
internal sealed class SymphainyAIAgent<TInput, TArtifact>(AgentBase<TInput, TArtifact> agent, Func<string, TInput> input, TenantId tenant, IReadOnlyList<AIFunction> tools, TimeProvider time) : AIAgent
{
    public override string? Name => agent.Name;

    public override string? Description => $"Symphainy agent {agent.Name} (prompts {agent.PromptVersion})";

    protected override ValueTask<AgentSession> CreateSessionCoreAsync(CancellationToken cancellationToken) => new(new Session());

    protected override ValueTask<AgentSession> DeserializeSessionCoreAsync(JsonElement serializedState, JsonSerializerOptions? jsonSerializerOptions, CancellationToken cancellationToken) => new(new Session());

    protected override ValueTask<JsonElement> SerializeSessionCoreAsync(AgentSession session, JsonSerializerOptions? jsonSerializerOptions, CancellationToken cancellationToken) =>
        new(JsonSerializer.SerializeToElement(new Dictionary<string, string>(), AgentJson.Options));

    protected override async Task<AgentResponse> RunCoreAsync(IEnumerable<ChatMessage> messages, AgentSession? session, AgentRunOptions? options, CancellationToken cancellationToken)
    {
        var question = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var artifact = await agent.RunAsync(new AgentContext<TInput>(input(question), tenant, null, null, tools, time, cancellationToken)).ConfigureAwait(false);
        var reply = new ChatMessage(ChatRole.Assistant, JsonSerializer.Serialize(artifact.Result, AgentJson.Options));
        return new AgentResponse(reply)
        {
            AgentId = Id,
            Usage = new UsageDetails { InputTokenCount = artifact.Usage.InputTokens, OutputTokenCount = artifact.Usage.OutputTokens },
            AdditionalProperties = new AdditionalPropertiesDictionary { ["symphainy.artifact"] = artifact },
        };
    }

    protected override async IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(IEnumerable<ChatMessage> messages, AgentSession? session, AgentRunOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var response = await RunCoreAsync(messages, session, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToAgentResponseUpdates())
        {
            yield return update;
        }
    }

    private sealed class Session : AgentSession;
}
