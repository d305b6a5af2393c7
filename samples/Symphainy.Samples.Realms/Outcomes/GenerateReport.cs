using Symphainy.Agents;
using Symphainy.Sagas;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>
/// <c>outcomes.generate_report</c>: one intent across the three realms, as one saga. Realms' services never call each
/// other, so this orchestrator runs the other realms' steps as its own (<see cref="ContentSteps"/>,
/// <see cref="InsightsSteps"/>): ingest the data and the policy (content), assess and explain (insights), then
/// summarize, compose and export (outcomes). Every step and agent output is recorded; after a restart the saga replays
/// them and resumes at the first step not recorded, so the agents are never asked twice.
/// </summary>
public sealed class GenerateReport : Orchestrator<ReportRequest, GeneratedReport>
{
    /// <inheritdoc/>
    public override async Task<GeneratedReport> RunAsync(SagaContext saga, ReportRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var data = await ContentSteps.IngestAsync(saga, input.Data).ConfigureAwait(true);
        var policy = input.Policy is null ? null : await ContentSteps.IngestAsync(saga, input.Policy).ConfigureAwait(true);
        var reference = input.Reference is null ? null : await ContentSteps.IngestAsync(saga, input.Reference).ConfigureAwait(true);

        var assessment = await InsightsSteps.AssessAsync(saga, data, policy).ConfigureAwait(true);
        var schema = reference is null ? null : await InsightsSteps.MatchSchemasAsync(saga, reference, data).ConfigureAwait(true);
        var analysis = await InsightsSteps.ExplainAsync(saga, assessment).ConfigureAwait(true);

        var title = string.IsNullOrWhiteSpace(input.Title) ? $"Data quality report: {data.Name}" : input.Title.Trim();
        var summary = await saga.Agent<ReportSynthesizer, SynthesisInput, ReportSummary>("outcomes.synthesize", new SynthesisInput(title, assessment)).ConfigureAwait(true);
        var content = new ReportContent(title, data, policy, assessment, analysis, summary, schema);
        var markdown = await saga.Step("outcomes.compose", (ReportComposer s) => s.Compose(content)).ConfigureAwait(true);
        var report = await saga.Step("outcomes.export", (HtmlExporter s) => s.Export(title, markdown)).ConfigureAwait(true);
        return new GeneratedReport(title, assessment.Defects, analysis, summary, report);
    }
}
