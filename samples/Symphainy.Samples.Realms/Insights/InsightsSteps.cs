using Symphainy.Agents;
using Symphainy.Sagas;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// The insights realm's steps, for any orchestrator to run as its own recorded steps (the insights realm's
/// orchestrators, and <c>outcomes.generate_report</c>). Static and stateless: every call goes through the saga.
/// </summary>
public static class InsightsSteps
{
    /// <summary>Profiles a table, finds its outliers, checks it against the policy's rules and consolidates the defects.</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="data">The parsed table.</param>
    /// <param name="policy">The parsed policy text, if any.</param>
    /// <returns>The assessment.</returns>
    /// <exception cref="SymphainyException"><c>insights.not_tabular</c> when the data is not a table.</exception>
    public static async Task<QualityAssessment> AssessAsync(SagaContext saga, ParsedDocument data, ParsedDocument? policy)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(data);
        var table = data.Table ?? throw new SymphainyException(InsightsErrors.NotTabular, $"'{data.Name}' is not a table: assess a CSV file or a JSON array of objects.");
        var file = data.Name;
        var profile = await saga.Step("insights.profile", (ColumnProfiler s) => s.Profile(file, table)).ConfigureAwait(true);
        var outliers = await saga.Step("insights.outliers", (OutlierDetector s) => s.Detect(file, table, profile)).ConfigureAwait(true);
        IReadOnlyList<PolicyRule> rules = [];
        IReadOnlyList<PolicyViolation> violations = [];
        if (policy is not null)
        {
            rules = await saga.Step("insights.policy_rules", (PolicyReader s) => s.Read(policy, table.Columns)).ConfigureAwait(true);
            violations = await saga.Step("insights.policy_check", (PolicyChecker s) => s.Check(table, rules)).ConfigureAwait(true);
        }

        return await saga.Step("insights.consolidate", (FindingsConsolidator s) => s.Consolidate(profile, outliers, rules, violations)).ConfigureAwait(true);
    }

    /// <summary>Asks the quality analyst to explain an assessment (recorded whole, never asked again on replay).</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="assessment">The assessment.</param>
    /// <returns>The analyst's artifact.</returns>
    public static Task<AgentArtifact<QualityExplanation>> ExplainAsync(SagaContext saga, QualityAssessment assessment) =>
        saga.Agent<QualityAnalyst, QualityAssessment, QualityExplanation>("insights.explain", assessment);

    /// <summary>Compares two parsed tables' columns.</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="left">The first table (the reference).</param>
    /// <param name="right">The second table.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="SymphainyException"><c>insights.not_tabular</c> when either is not a table.</exception>
    public static Task<SchemaComparison> MatchSchemasAsync(SagaContext saga, ParsedDocument left, ParsedDocument right)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var leftColumns = left.Table?.Columns ?? throw new SymphainyException(InsightsErrors.NotTabular, $"'{left.Name}' is not a table.");
        var rightColumns = right.Table?.Columns ?? throw new SymphainyException(InsightsErrors.NotTabular, $"'{right.Name}' is not a table.");
        return saga.Step("insights.match_schemas", (SchemaMatcher s) => s.Compare(left.Name, leftColumns, right.Name, rightColumns));
    }
}

/// <summary>The insights realm's error codes.</summary>
public static class InsightsErrors
{
    /// <summary>A file to assess or compare is not a table.</summary>
    public static readonly ErrorCode NotTabular = new(
        "insights.not_tabular", ErrorKind.Domain, isRetryable: false,
        "Quality checks and schema matching need a table: a CSV file, or a JSON file holding an array of objects.");
}
