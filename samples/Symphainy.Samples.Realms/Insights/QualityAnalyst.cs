using Microsoft.Extensions.AI;
using Symphainy.Agents;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>
/// Explains a quality assessment, grounded: it gathers one source per defect (cited by the defect's cell,
/// <c>orders.csv#row=2;column=email</c>) and one for the table as a whole, extracts facts from them, and reasons only
/// from those facts, every claim citing the facts it rests on (checked by the base class; an uncited claim is asked
/// again, then rejected). It reads nothing but its input: the defects are the material.
/// </summary>
/// <param name="chat">The model (the offline <see cref="LocalChatClient"/> unless the host registers another).</param>
public sealed class QualityAnalyst(IChatClient chat) : GroundedReasoningAgentBase<QualityAssessment, QualityExplanation>(chat)
{
    /// <summary>The question the agent answers, whatever the input: its claims are the facts that bear on it.</summary>
    public const string Asks = "Which defect did the quality checks find in each row, and which policy rule does each defect break?";

    /// <inheritdoc/>
    public override string PromptVersion => "quality-analyst/1";

    /// <inheritdoc/>
    protected override string Question(QualityAssessment input) =>
        Asks;

    /// <summary>The sources are the assessment itself: one per defect, and one for the table's size and rules.</summary>
    /// <param name="context">The agent's context.</param>
    /// <param name="run">The run (no model call is made to gather).</param>
    /// <returns>The sources.</returns>
    protected override Task<IReadOnlyList<AgentSource>> GatherAsync(AgentContext<QualityAssessment> context, GroundingRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Sources(context.Input));
    }

    /// <summary>The sources an assessment gives the analyst.</summary>
    /// <param name="assessment">The assessment.</param>
    /// <returns>One source per defect, then one for the table.</returns>
    public static IReadOnlyList<AgentSource> Sources(QualityAssessment assessment)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        var rules = assessment.Rules.ToDictionary(r => r.Number);
        var sources = assessment.Defects.Select(d => new AgentSource(d.Reference,
            $"Defect {d.Kind.Replace('_', ' ')} in {d.File}: {d.Description}" +
            string.Concat(d.Rules.Select(n => $" The defect breaks policy rule {n}: {rules[n].Text.TrimEnd('.')}.")))).ToList();
        sources.Add(new AgentSource($"{assessment.File}#table",
            $"The quality checks of {assessment.File} covered {assessment.Rows} rows and {assessment.Profile.Columns.Count} columns against {assessment.Rules.Count} policy rules and found {assessment.Defects.Count} defects."));
        return sources;
    }
}
