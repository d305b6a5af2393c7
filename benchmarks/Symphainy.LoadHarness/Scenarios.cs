namespace Symphainy.LoadHarness;

/// <summary>Every scenario the harness knows.</summary>
internal static class Scenarios
{
    public static IReadOnlyList<IScenario> All { get; } = [new WalScenario()];
}
