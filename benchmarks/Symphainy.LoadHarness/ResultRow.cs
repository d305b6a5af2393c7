namespace Symphainy.LoadHarness;

/// <summary>One measured variant of a scenario at one concurrency.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Variant">What was measured: the platform or one of its baselines.</param>
/// <param name="Concurrency">How many concurrent loops (writers) ran.</param>
/// <param name="Operations">Operations completed during the measured time.</param>
/// <param name="OpsPerSecond">Operations per second.</param>
/// <param name="P50Micros">Median latency of one operation, in microseconds.</param>
/// <param name="P99Micros">99th percentile latency, in microseconds.</param>
/// <param name="P999Micros">99.9th percentile latency, in microseconds.</param>
/// <param name="AllocatedBytesPerOp">Bytes allocated by the whole process during the measured time, per operation.</param>
internal sealed record ResultRow(
    string Scenario,
    string Variant,
    int Concurrency,
    long Operations,
    double OpsPerSecond,
    double P50Micros,
    double P99Micros,
    double P999Micros,
    double AllocatedBytesPerOp);
