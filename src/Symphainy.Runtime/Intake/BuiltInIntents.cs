namespace Symphainy.Intake;

/// <summary>The intent types every host understands, besides the capabilities its realms register.</summary>
public static class BuiltInIntents
{
    /// <summary>Delivers a signal to a waiting saga: payload <c>{"sagaId", "name", "value"}</c>.</summary>
    public const string Signal = "symphainy.signal";

    /// <summary>Cancels a saga: payload <c>{"sagaId", "reason"}</c>.</summary>
    public const string Cancel = "symphainy.cancel";
}
