using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Agents;

/// <summary>Gives agents read-only tools for a tenant and session (registered as <c>IAgentToolSource</c>, many allowed).</summary>
public interface IAgentToolSource
{
    /// <summary>The tools an agent working for <paramref name="tenant"/> may call; each reads, none writes.</summary>
    /// <param name="tenant">The tenant the agent works for: tools see only its data.</param>
    /// <param name="session">The session, if any.</param>
    /// <returns>The tools.</returns>
    IEnumerable<AIFunction> ToolsFor(TenantId tenant, SessionId? session);
}

/// <summary>Registers the Agents plane and agents.</summary>
public static class AgentSymphainyBuilderExtensions
{
    // What an agent may not ask for: every port that writes, and the service provider (which reaches them all).
    private static readonly Type[] WritePorts =
    [
        typeof(IWriteAheadLog), typeof(IHotStateStore), typeof(IStateGraph), typeof(Events.IExecutionEventBus), typeof(ISessionRegistry),
        typeof(IIntentIntake), typeof(ISagaEngine), typeof(Blobs.IBlobStore), typeof(IServiceProvider), typeof(IServiceScopeFactory),
    ];

    /// <summary>
    /// Adds the Agents plane: the deterministic <see cref="LocalChatClient"/> as the <see cref="IChatClient"/> unless the
    /// host registers its own (before or after), and the read-only state graph tools.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddAgents(this ISymphainyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.TryAddPlane("Agents", "reasoning engines over grounded facts; artifacts recorded and replayed", typeof(AgentInvoker<>)))
        {
            builder.Services.AddDefault(ServiceDescriptor.Singleton<IChatClient>(new LocalChatClient()));
            builder.Services.TryAddSingleton(typeof(AgentInvoker<>));
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IAgentToolSource, StateGraphTools>());
        }

        return builder;
    }

    /// <summary>
    /// Registers agent <typeparamref name="TAgent"/> (and the Agents plane). Its constructor may ask for the chat client
    /// and read-only services, never for one that writes.
    /// </summary>
    /// <typeparam name="TAgent">The agent.</typeparam>
    /// <param name="builder">The Symphainy builder.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="SymphainyException"><c>agent.write_port</c>: a constructor asks for a service that writes.</exception>
    public static ISymphainyBuilder AddAgent<TAgent>(this ISymphainyBuilder builder)
        where TAgent : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var constructor in typeof(TAgent).GetConstructors())
        {
            foreach (var parameter in constructor.GetParameters())
            {
                if (WritePorts.FirstOrDefault(port => port.IsAssignableFrom(parameter.ParameterType) || parameter.ParameterType.IsAssignableFrom(port)) is { } port && parameter.ParameterType != typeof(object))
                {
                    throw new SymphainyException(AgentErrorCodes.WritePort,
                        $"Agent {typeof(TAgent).Name} asks for {parameter.ParameterType.Name} ('{parameter.Name}'), which can write ({port.Name}). Agents have no side effects: give them read-only tools (IAgentToolSource) instead.");
                }
            }
        }

        builder.AddAgents();
        builder.Services.TryAddSingleton<TAgent>();
        return builder;
    }
}

/// <summary>Runs an agent for a saga step: builds its context (tools, clock, token) from the host's services.</summary>
/// <typeparam name="TAgent">The agent.</typeparam>
/// <param name="agent">The agent.</param>
/// <param name="tools">The registered tool sources.</param>
/// <param name="time">The host's clock.</param>
/// <param name="factPolicies">The registered fact policies every fact the agent relies on must pass.</param>
public sealed class AgentInvoker<TAgent>(TAgent agent, IEnumerable<IAgentToolSource> tools, TimeProvider time, IEnumerable<IFactPolicy> factPolicies)
    where TAgent : class
{
    /// <summary>Runs the agent on <paramref name="input"/> for the saga, its facts held to the fact policies.</summary>
    /// <typeparam name="TInput">The agent's input.</typeparam>
    /// <typeparam name="TArtifact">Its artifact.</typeparam>
    /// <param name="saga">The saga asking.</param>
    /// <param name="input">The input.</param>
    /// <returns>The artifact.</returns>
    public Task<AgentArtifact<TArtifact>> RunAsync<TInput, TArtifact>(SagaContext saga, TInput input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        var typed = agent as AgentBase<TInput, TArtifact> ?? throw new InvalidOperationException($"{typeof(TAgent).Name} is not an AgentBase<{typeof(TInput).Name}, {typeof(TArtifact).Name}>.");
        var context = new AgentContext<TInput>(input, saga.Tenant, saga.Session, saga.SagaId, [.. tools.SelectMany(t => t.ToolsFor(saga.Tenant, saga.Session))], time, saga.CancellationToken)
        {
            FactPolicies = [.. factPolicies],
        };
        return typed.RunAsync(context);
    }
}

/// <summary>Runs agents as recorded saga steps.</summary>
public static class SagaAgentExtensions
{
    /// <summary>
    /// Asks agent <typeparamref name="TAgent"/> (registered with <c>AddAgent</c>) for its artifact on
    /// <paramref name="input"/>. The whole <see cref="AgentArtifact{TResult}"/> is recorded (<c>AgentOutput</c>) before
    /// the saga sees it and replayed after a restart: the model is never asked again for a recorded step. Agent
    /// failures are <see cref="ErrorKind.Agent"/> errors the step's retry policy sees.
    /// </summary>
    /// <typeparam name="TAgent">The agent.</typeparam>
    /// <typeparam name="TInput">Its input.</typeparam>
    /// <typeparam name="TArtifact">Its artifact.</typeparam>
    /// <param name="saga">The saga.</param>
    /// <param name="name">The step's name.</param>
    /// <param name="input">The input.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <returns>The artifact (the recorded one on replay).</returns>
    public static Task<AgentArtifact<TArtifact>> Agent<TAgent, TInput, TArtifact>(this SagaContext saga, string name, TInput input, StepOptions? options = null)
        where TAgent : AgentBase<TInput, TArtifact>
    {
        ArgumentNullException.ThrowIfNull(saga);
        return saga.Agent<AgentInvoker<TAgent>, AgentArtifact<TArtifact>>(name, invoker => invoker.RunAsync<TInput, TArtifact>(saga, input), options);
    }
}

/// <summary>Read-only tools over the tenant's state graph: a node by id, and a node's lineage.</summary>
internal sealed class StateGraphTools(IStateGraph graph) : IAgentToolSource
{
    public IEnumerable<AIFunction> ToolsFor(TenantId tenant, SessionId? session)
    {
        yield return AIFunctionFactory.Create(
            async (string id, CancellationToken cancellationToken) =>
                await graph.GetNodeAsync(tenant, id, cancellationToken).ConfigureAwait(false) is { } node
                    ? new AgentSource($"node:{node.Id}", System.Text.Json.JsonSerializer.Serialize(node, AgentJson.Options))
                    : null,
            "state_graph_node",
            "Reads one node of the tenant's state graph by its id (a recorded fact, step or artifact).");
        yield return AIFunctionFactory.Create(
            async (string id, CancellationToken cancellationToken) =>
                (await graph.GetLineageAsync(tenant, id, 8, cancellationToken).ConfigureAwait(false))
                    .Select(step => new AgentSource($"node:{id}", System.Text.Json.JsonSerializer.Serialize(step, AgentJson.Options))).ToList(),
            "state_graph_lineage",
            "Reads where a node of the tenant's state graph came from (its lineage, up to 8 levels).");
    }
}
