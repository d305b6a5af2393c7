using Microsoft.Extensions.AI;
using Symphainy.Agents;
using Symphainy.Samples.Realms.Insights;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>
/// Writes the report's summary, grounded: it gathers one source per kind of defect (<c>orders.csv#defects=outlier</c>),
/// one per policy rule (cited by the rule's line) and one for the table, extracts facts from them and reasons only
/// from those facts, every claim citing them (checked by the base class).
/// </summary>
/// <param name="chat">The model (the offline <see cref="LocalChatClient"/> unless the host registers another).</param>
public sealed class ReportSynthesizer(IChatClient chat) : GroundedReasoningAgentBase<SynthesisInput, ReportSummary>(chat)
{
    /// <summary>The question the agent answers, whatever the input: its claims are the facts that bear on it.</summary>
    public const string Asks = "Summarize the defects the report found and the policy rules they break.";

    /// <inheritdoc/>
    public override string PromptVersion => "report-synthesizer/1";

    /// <inheritdoc/>
    protected override string Question(SynthesisInput input) => Asks;

    /// <summary>The sources are the assessment's totals: per kind of defect, per policy rule, and for the table.</summary>
    /// <param name="context">The agent's context.</param>
    /// <param name="run">The run (no model call is made to gather).</param>
    /// <returns>The sources.</returns>
    protected override Task<IReadOnlyList<AgentSource>> GatherAsync(AgentContext<SynthesisInput> context, GroundingRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Sources(context.Input.Assessment));
    }

    /// <summary>The sources an assessment gives the synthesizer.</summary>
    /// <param name="assessment">The assessment.</param>
    /// <returns>The sources.</returns>
    public static IReadOnlyList<AgentSource> Sources(QualityAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var sources = new List<AgentSource>
        {
            new($"{assessment.File}#table", $"The report covers {assessment.Rows} rows of {assessment.File} and found {assessment.Defects.Count} defects."),
        };
        sources.AddRange(assessment.Defects.GroupBy(d => d.Kind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new AgentSource(
            $"{assessment.File}#defects={g.Key}",
            $"The report found {g.Count()} {g.Key.Replace('_', ' ')} {(g.Count() == 1 ? "defect" : "defects")} in {assessment.File}, in {(g.Count() == 1 ? "row" : "rows")} {string.Join(", ", g.Select(d => d.Row))}.")));
        sources.AddRange(assessment.Rules.Select(rule =>
        {
            var broken = assessment.Defects.Count(d => d.Rules.Contains(rule.Number));
            return new AgentSource(rule.Source, rule.Applies
                ? $"Policy rule {rule.Number} says {rule.Text.TrimEnd('.')}; {broken} {(broken == 1 ? "defect breaks" : "defects break")} it."
                : $"Policy rule {rule.Number} says {rule.Text.TrimEnd('.')}; the report does not check it, no column is named {rule.Column}.");
        }));
        return sources;
    }
}
