namespace Symphainy.LoadHarness;

/// <summary>One measured variant of a scenario at one concurrency.</summary>
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
