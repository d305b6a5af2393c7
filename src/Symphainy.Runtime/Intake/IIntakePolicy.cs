namespace Symphainy.Intake;

/// <summary>
/// A rule every intent passes before it is recorded: authorization, rate limits, payload policy. Smart City
/// registers these; a policy rejects by throwing a <see cref="SymphainyException"/> with its own code.
/// </summary>
public interface IIntakePolicy
{
    /// <summary>Checks an intent; throws to reject it.</summary>
    /// <param name="context">The normalized intent and the capability it resolved to.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken);
}
