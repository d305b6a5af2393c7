namespace Symphainy.LoadHarness;

/// <summary>Every scenario the harness knows; add new ones here.</summary>
internal static class Scenarios
{
    /// <summary>The registered scenarios, in the order they run.</summary>
    public static IReadOnlyList<IScenario> All { get; } = [new WalScenario(), new SagaScenario(), new BacklogScenario(), new GraphScenario(), new ProjectionScenario(), new RecoveryScenario(), new RedisScenario(), new SmartCityScenario()];

    /// <summary>The scenarios named on the command line (all when none is named) and the names that match none.</summary>
    public static (IReadOnlyList<IScenario> Selected, IReadOnlyList<string> Unknown) Select(IReadOnlyList<string> names) =>
        names.Count == 0
            ? (All, [])
            : (All.Where(s => names.Contains(s.Name)).ToArray(), names.Where(n => All.All(s => s.Name != n)).ToArray());
}
