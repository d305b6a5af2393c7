namespace Symphainy.State;

/// <summary>What a state graph node stands for. Values are stored: never renumber them.</summary>
public enum GraphNodeKind
{
    /// <summary>A session.</summary>
    Session = 1,

    /// <summary>An intent.</summary>
    Intent = 2,

    /// <summary>A saga.</summary>
    Saga = 3,

    /// <summary>A saga step.</summary>
    Step = 4,

    /// <summary>A fact gathered or established during execution.</summary>
    Fact = 5,

    /// <summary>An artifact produced (a step result, an agent output).</summary>
    Artifact = 6,
}
