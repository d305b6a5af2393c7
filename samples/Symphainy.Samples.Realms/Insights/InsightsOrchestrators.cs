using Symphainy.Sagas;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms.Insights;

/// <summary><c>insights.assess_data_quality</c>: ingests a table (and a policy), finds its defects and has them explained.</summary>
public sealed class AssessDataQuality : Orchestrator<AssessRequest, QualityReport>
{
    /// <inheritdoc/>
    public override async Task<QualityReport> RunAsync(SagaContext saga, AssessRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var data = await ContentSteps.IngestAsync(saga, input.Data).ConfigureAwait(true);
        var policy = input.Policy is null ? null : await ContentSteps.IngestAsync(saga, input.Policy).ConfigureAwait(true);
        var assessment = await InsightsSteps.AssessAsync(saga, data, policy).ConfigureAwait(true);
        var explanation = await InsightsSteps.ExplainAsync(saga, assessment).ConfigureAwait(true);
        return new QualityReport(assessment, explanation);
    }
}

/// <summary><c>insights.match_schemas</c>: which columns of two tables match, were renamed, are missing or were added.</summary>
public sealed class MatchSchemas : Orchestrator<MatchRequest, SchemaComparison>
{
    /// <inheritdoc/>
    public override async Task<SchemaComparison> RunAsync(SagaContext saga, MatchRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var left = await ContentSteps.IngestAsync(saga, input.Left).ConfigureAwait(true);
        var right = await ContentSteps.IngestAsync(saga, input.Right).ConfigureAwait(true);
        return await InsightsSteps.MatchSchemasAsync(saga, left, right).ConfigureAwait(true);
    }
}
