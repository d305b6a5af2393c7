using Symphainy.Agents;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>The input of <c>outcomes.generate_report</c>.</summary>
/// <param name="Data">The table to report on (a CSV file, or a JSON array of objects).</param>
/// <param name="Policy">The policy text its rules come from, if any.</param>
/// <param name="Reference">A table with the expected columns, to compare the data's schema with, if any.</param>
/// <param name="Title">The report's title; "Data quality report: {file}" when not given.</param>
public sealed record ReportRequest(SourceFile Data, SourceFile? Policy = null, SourceFile? Reference = null, string? Title = null);

/// <summary>What the synthesis agent is given.</summary>
/// <param name="Title">The report's title.</param>
/// <param name="Assessment">The quality assessment.</param>
public sealed record SynthesisInput(string Title, QualityAssessment Assessment);

/// <summary>The synthesis agent's summary: prose and claims, each citing the facts it rests on.</summary>
/// <param name="Summary">The summary in prose.</param>
/// <param name="Claims">Its claims.</param>
public sealed record ReportSummary(string Summary, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

/// <summary>Everything a report is composed from.</summary>
/// <param name="Title">The title.</param>
/// <param name="Data">The parsed table.</param>
/// <param name="Policy">The parsed policy, if any.</param>
/// <param name="Assessment">The quality assessment.</param>
/// <param name="Analysis">The quality analyst's artifact.</param>
/// <param name="Summary">The synthesis agent's artifact.</param>
/// <param name="Schema">The schema comparison with a reference table, if any.</param>
public sealed record ReportContent(
    string Title,
    ParsedDocument Data,
    ParsedDocument? Policy,
    QualityAssessment Assessment,
    AgentArtifact<QualityExplanation> Analysis,
    AgentArtifact<ReportSummary> Summary,
    SchemaComparison? Schema);

/// <summary>A report in Markdown and HTML, with their SHA-256 hashes.</summary>
/// <param name="Markdown">The Markdown.</param>
/// <param name="Html">The HTML document.</param>
/// <param name="MarkdownSha256">The SHA-256 (hex) of the Markdown's UTF-8 bytes: the report's hash.</param>
/// <param name="HtmlSha256">The SHA-256 (hex) of the HTML's UTF-8 bytes.</param>
public sealed record ExportedReport(string Markdown, string Html, string MarkdownSha256, string HtmlSha256);

/// <summary>The output of <c>outcomes.generate_report</c>.</summary>
/// <param name="Title">The report's title.</param>
/// <param name="Defects">The defects the report lists, in its order.</param>
/// <param name="Analysis">The quality analyst's artifact (claims and the facts they cite).</param>
/// <param name="Summary">The synthesis agent's artifact (claims and the facts they cite).</param>
/// <param name="Report">The report.</param>
public sealed record GeneratedReport(string Title, IReadOnlyList<Defect> Defects, AgentArtifact<QualityExplanation> Analysis, AgentArtifact<ReportSummary> Summary, ExportedReport Report);
