namespace Symphainy.Agents;

/// <summary>The error codes of the Agents plane. Every agent failure is of <see cref="ErrorKind.Agent"/>.</summary>
public static class AgentErrorCodes
{
    /// <summary>The model (chat client) failed or did not answer.</summary>
    public static readonly ErrorCode ModelFailed = new(
        "agent.model_failed", ErrorKind.Agent, isRetryable: true,
        "The agent's model (its IChatClient) failed or did not answer. Retryable: the step's retry policy asks again.");

    /// <summary>The model's answer does not fit the schema asked for.</summary>
    public static readonly ErrorCode InvalidOutput = new(
        "agent.invalid_output", ErrorKind.Agent, isRetryable: true,
        "The model's answer does not fit the JSON schema the agent asked for. Retryable: a model may do better next time.");

    /// <summary>The artifact is not grounded: uncited claims, or citations of facts the agent did not gather.</summary>
    public static readonly ErrorCode Ungrounded = new(
        "agent.ungrounded", ErrorKind.Agent, isRetryable: false,
        "The agent's artifact failed validation: a claim cites no fact, or cites a fact the agent did not gather. The message lists each problem; no fabricated fallback replaces it.");

    /// <summary>The agent could not produce its artifact for another reason (its own code threw).</summary>
    public static readonly ErrorCode Failed = new(
        "agent.failed", ErrorKind.Agent, isRetryable: true,
        "The agent's own code threw an exception that is not a SymphainyException; the message names it.");

    /// <summary>An agent type asks for a service that writes (a log, a store, an event bus, a service provider).</summary>
    public static readonly ErrorCode WritePort = new(
        "agent.write_port", ErrorKind.Platform, isRetryable: false,
        "An agent's constructor asks for a service that writes (the write-ahead log, the hot state store, the state graph, the event bus, sessions, intake) or for a service provider. Agents have no side effects: give them read-only tools instead.");
}
