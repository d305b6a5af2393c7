namespace Symphainy.LoadHarness;

/// <summary>
/// Something a scenario's rows are compared against. Its throughput at a concurrency is the best one among
/// <paramref name="Variants"/> at that concurrency, so a baseline tried several ways is judged at its best.
/// </summary>
/// <param name="Name">The column heading, e.g. <c>naive</c>.</param>
/// <param name="Variants">The variants that measure it.</param>
internal sealed record Baseline(string Name, IReadOnlyList<string> Variants)
{
    /// <summary>The best throughput among this baseline's rows at <paramref name="concurrency"/>, or null if none ran.</summary>
    public ResultRow? Best(IEnumerable<ResultRow> rows, int concurrency) =>
        rows.Where(r => r.Concurrency == concurrency && Variants.Contains(r.Variant))
            .OrderByDescending(r => r.OpsPerSecond)
            .FirstOrDefault();

    /// <summary>How many times the baseline's best throughput <paramref name="row"/> achieved; null without a baseline row.</summary>
    public double? Ratio(IEnumerable<ResultRow> rows, ResultRow row) =>
        Best(rows, row.Concurrency) is { OpsPerSecond: > 0 } best ? row.OpsPerSecond / best.OpsPerSecond : null;
}
