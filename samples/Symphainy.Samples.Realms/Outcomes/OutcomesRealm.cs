using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>
/// The outcomes realm: turns insights into a deliverable. A grounded synthesis agent summarizes the findings with
/// citations, a composer writes the report in Markdown and an exporter renders it to HTML, both deterministic, so the
/// report's hash identifies it. <c>outcomes.generate_report</c> runs the whole flow, from upload to report.
/// </summary>
public sealed class OutcomesRealm : RealmManager
{
    /// <inheritdoc/>
    public override IReadOnlyCollection<string> DependsOn => ["insights", "content"];

    /// <inheritdoc/>
    protected override void Register(RealmCatalog catalog) => catalog
        .Service<ReportComposer>()
        .Service<HtmlExporter>()
        .Agent<ReportSynthesizer>()
        .Capability<GenerateReport>("outcomes.generate_report", "Ingests a table and a policy, finds the table's defects and policy violations, explains them and writes a cited report in Markdown and HTML.");
}
