using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Symphainy.Capabilities;
using Symphainy.Sagas;

namespace Symphainy.Benchmarks;

/// <summary>
/// What intake validation of a realistic payload costs: the Curator resolving the intent type and checking the
/// payload against the capability's JSON Schema (<c>Resolve(type, null)!.ValidatePayload(payload)</c>), vs the
/// baseline of just deserializing the same <see cref="JsonElement"/> into the input record.
/// </summary>
[MemoryDiagnoser]
public class IntakeValidationBenchmarks
{
    private const string Type = "insights.assess_data_quality";

    // As the platform serializes: web naming, enums as strings.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private Curator? _curator;
    private JsonElement _payload;

    /// <summary>A Curator with the one capability, and a valid payload of ten column rules.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var definition = SagaDefinition.Create<AssessDataQuality, AssessDataQualityInput, AssessDataQualityOutput>(Type);
        _curator = new Curator(new SagaDefinitionCatalog([definition]), [new CapabilityRegistration(Type, 1, "insights", "Assesses a dataset's data quality.", Determinism.Deterministic, Idempotent: true)]);
        var columns = Enumerable.Range(0, 10).Select(i => new ColumnRule(
            $"column_{i}",
            (ColumnType)(i % 5),
            Required: i % 2 == 0,
            Min: i % 5 is 1 or 2 ? 0 : null,
            Max: i % 5 is 1 or 2 ? 1_000_000 : null,
            Pattern: i % 5 == 0 ? "^[A-Z]{3}-[0-9]{6}$" : null)).ToArray();
        var input = new AssessDataQualityInput(
            "ds-2026-07-01-orders",
            new DataSource("s3://lake/raw/orders/2026/07/01/", "parquet", Partitions: ["region=eu", "region=us", "region=apac"]),
            columns,
            Severity.Warning,
            SampleSize: 50_000,
            IncludeNulls: true,
            Notes: "nightly check before the finance export",
            Tags: new Dictionary<string, string> { ["team"] = "finance", ["pipeline"] = "orders-nightly", ["env"] = "prod" });
        _payload = JsonSerializer.SerializeToElement(input, Options);
        if (_curator.Resolve(Type, null)!.ValidatePayload(_payload) is { Count: > 0 } problems)
        {
            throw new InvalidOperationException("The benchmark payload is invalid: " + string.Join("; ", problems));
        }
    }

    /// <summary>Baseline: deserialize the payload into the input record.</summary>
    [Benchmark(Baseline = true)]
    public AssessDataQualityInput? Deserialize() => _payload.Deserialize<AssessDataQualityInput>(Options);

    /// <summary>The Curator: resolve the capability, validate the payload against its input schema.</summary>
    [Benchmark]
    public int CuratorValidate() => _curator!.Resolve(Type, null)!.ValidatePayload(_payload).Count;

    /// <summary>The kind of a column.</summary>
    public enum ColumnType
    {
        /// <summary>Text.</summary>
        Text,

        /// <summary>Whole numbers.</summary>
        Count,

        /// <summary>Amounts of money.</summary>
        Amount,

        /// <summary>Dates.</summary>
        Date,

        /// <summary>True or false.</summary>
        Flag,
    }

    /// <summary>How bad a finding must be to be reported.</summary>
    public enum Severity
    {
        /// <summary>Everything.</summary>
        Info,

        /// <summary>Warnings and errors.</summary>
        Warning,

        /// <summary>Errors only.</summary>
        Error,
    }

    /// <summary>Where the data is.</summary>
    public sealed record DataSource(string Uri, string Format, IReadOnlyList<string> Partitions);

    /// <summary>A rule for one column.</summary>
    public sealed record ColumnRule(string Name, ColumnType Type, bool Required, double? Min, double? Max, string? Pattern);

    /// <summary>The realistic input: nested records, a list, enums, nullable fields and a string map.</summary>
    public sealed record AssessDataQualityInput(
        string DatasetId,
        DataSource Source,
        IReadOnlyList<ColumnRule> Columns,
        Severity Threshold,
        int SampleSize,
        bool IncludeNulls,
        string? Notes,
        IReadOnlyDictionary<string, string>? Tags);

    /// <summary>The output.</summary>
    public sealed record AssessDataQualityOutput(double Score, IReadOnlyList<string> Findings);

    /// <summary>Never run: the Curator only needs its types.</summary>
    public sealed class AssessDataQuality : Orchestrator<AssessDataQualityInput, AssessDataQualityOutput>
    {
        /// <inheritdoc/>
        public override Task<AssessDataQualityOutput> RunAsync(SagaContext saga, AssessDataQualityInput input) => Task.FromResult(new AssessDataQualityOutput(1, []));
    }
}
