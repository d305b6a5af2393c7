namespace Symphainy.Capabilities;

/// <summary>Whether a capability gives the same output for the same input.</summary>
public enum Determinism
{
    /// <summary>Same input, same output: safe to cache and to compare.</summary>
    Deterministic,

    /// <summary>Depends on the outside world (time, external systems).</summary>
    NonDeterministic,

    /// <summary>Reasoned by an agent: grounded, recorded, not reproducible by running again.</summary>
    AgentBacked,
}
