namespace Symphainy.LoadHarness;

/// <summary>
/// One end-to-end measurement: it runs the platform and its baselines in the same process and run, so
/// that ratios between them hold on a shared, noisy machine. Add a scenario by implementing this and
/// listing it in <see cref="Scenarios.All"/>; the table, ratio columns, CSV and JSON come for free.
/// </summary>
internal interface IScenario
{
    /// <summary>The name given on the command line.</summary>
    string Name { get; }

    /// <summary>What it measures, for the help text.</summary>
    string Description { get; }

    /// <summary>What the rows are compared against; each gets a ratio column in the table.</summary>
    IReadOnlyList<Baseline> Baselines { get; }

    /// <summary>Runs every variant and returns a row for each.</summary>
    Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options);

    /// <summary>The ratio and goal lines (PASS/MISS) for the rows this scenario produced.</summary>
    IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows);
}
