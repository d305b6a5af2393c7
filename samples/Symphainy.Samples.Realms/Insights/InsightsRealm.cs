using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// The insights realm: data-quality checks over parsed tables as deterministic services (missing values, type
/// mismatches against inferred column types, IQR outliers, policy rules, schema matching), and a grounded analyst
/// agent that explains the findings, citing them. Its capabilities ingest their files with the content realm's steps.
/// </summary>
public sealed class InsightsRealm : RealmManager
{
    /// <inheritdoc/>
    public override IReadOnlyCollection<string> DependsOn => ["content"];

    /// <inheritdoc/>
    protected override void Register(RealmCatalog catalog) => catalog
        .Service<ColumnProfiler>()
        .Service<OutlierDetector>()
        .Service<PolicyReader>()
        .Service<PolicyChecker>()
        .Service<FindingsConsolidator>()
        .Service<SchemaMatcher>()
        .Agent<QualityAnalyst>()
        .Capability<AssessDataQuality>("insights.assess_data_quality", "Finds a table's missing values, type mismatches, IQR outliers and policy violations, and explains them with citations.")
        .Capability<MatchSchemas>("insights.match_schemas", "Compares two tables' columns: matched, renamed (by name similarity), missing and added.");
}
