using System.Text.Json;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.SmartCity;

/// <summary>What an operator tells a parked step.</summary>
public enum OperatorAction
{
    /// <summary>Run the step again (as a new recorded step).</summary>
    Retry,

    /// <summary>Give up: the step fails for good and the saga compensates and ends failed.</summary>
    Abandon,
}

/// <summary>An operator's command to a parked step, delivered as a recorded signal.</summary>
/// <param name="Action">What to do.</param>
/// <param name="Operator">Who decided (for the record).</param>
public sealed record OperatorCommand(OperatorAction Action, string Operator);

/// <summary>Conductor settings, under <c>Symphainy:SmartCity:Conductor</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class ConductorOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:Conductor";

    /// <summary>How long a saga of each capability (intent type) may take, checked at its step boundaries. Unlisted: no limit.</summary>
    public IDictionary<string, TimeSpan> SagaTimeouts { get; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>
    /// How many sagas may run at once on a host (null: any number). When it is reached, sagas wait (recorded, pending)
    /// and freed places go to waiting tenants in turn (fair share), the highest <see cref="Priorities"/> first.
    /// </summary>
    public int? MaxRunningSagas { get; set; }

    /// <summary>How many sagas of one tenant may run at once on a host (null: any number).</summary>
    public int? MaxRunningSagasPerTenant { get; set; }

    /// <summary>Priority per capability (intent type) when places are scarce: higher first; unlisted ones are 0.</summary>
    public IDictionary<string, int> Priorities { get; } = new Dictionary<string, int>(StringComparer.Ordinal);
}

/// <summary>A saga parked by the Conductor: which step waits for an operator.</summary>
/// <param name="Saga">The saga.</param>
/// <param name="Step">The step that failed for good.</param>
public sealed record ParkedSaga(SagaId Saga, string Step);

/// <summary>
/// The Conductor: governs how sagas proceed. A step run with <see cref="ConductorSagaExtensions.StepOrPark{T}"/> that
/// fails for good parks its saga (waiting, visible to operators through <see cref="GetParkedAsync"/>) instead of failing
/// it; operators <see cref="RetryAsync"/> the step, <see cref="AbandonAsync"/> it, or <see cref="CancelAsync"/> the
/// saga. Every command goes through intake as a recorded intent (a signal or a cancellation) under the operator's
/// principal, so the Security Guard authorizes it and the log holds it.
/// </summary>
/// <param name="engine">The engine (saga snapshots).</param>
/// <param name="intake">Where commands are submitted.</param>
public sealed class Conductor(ISagaEngine engine, IIntentIntake intake)
{
    internal const string ParkPrefix = "conductor.park.";
    /// <summary>The saga's parked step, or null when it is not parked (here).</summary>
    /// <param name="tenant">The saga's tenant.</param>
    /// <param name="saga">The saga.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What is parked.</returns>
    public async ValueTask<ParkedSaga?> GetParkedAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default)
    {
        var snapshot = await engine.GetAsync(tenant, saga, cancellationToken).ConfigureAwait(false);
        return snapshot is { State: SagaState.Waiting, CurrentStep: { } waiting } && waiting.StartsWith(ParkPrefix, StringComparison.Ordinal)
            ? new ParkedSaga(saga, waiting[ParkPrefix.Length..])
            : null;
    }

    /// <summary>The sagas of <paramref name="tenant"/> parked on this host, waiting for an operator.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>What is parked.</returns>
    public IReadOnlyList<ParkedSaga> ListParked(TenantId tenant) =>
        [.. engine.ListActive(tenant)
            .Where(s => s is { State: SagaState.Waiting, CurrentStep: { } waiting } && waiting.StartsWith(ParkPrefix, StringComparison.Ordinal))
            .Select(s => new ParkedSaga(s.Id, s.CurrentStep![ParkPrefix.Length..]))];

    /// <summary>Runs the saga's parked step again.</summary>
    /// <param name="tenant">The saga's tenant.</param>
    /// <param name="saga">The saga.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded command's acceptance.</returns>
    /// <exception cref="SymphainyException"><c>conductor.not_parked</c> when the saga waits for no operator.</exception>
    public ValueTask<IntentAcceptance> RetryAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default) =>
        CommandAsync(tenant, saga, OperatorAction.Retry, cancellationToken);

    /// <summary>Gives the saga's parked step up: the saga compensates and ends failed.</summary>
    /// <param name="tenant">The saga's tenant.</param>
    /// <param name="saga">The saga.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded command's acceptance.</returns>
    public ValueTask<IntentAcceptance> AbandonAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default) =>
        CommandAsync(tenant, saga, OperatorAction.Abandon, cancellationToken);

    /// <summary>Cancels a saga, parked or not: it compensates and ends cancelled.</summary>
    /// <param name="tenant">The saga's tenant.</param>
    /// <param name="saga">The saga.</param>
    /// <param name="reason">Why, for the record.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded cancellation's acceptance.</returns>
    public ValueTask<IntentAcceptance> CancelAsync(TenantId tenant, SagaId saga, string reason, CancellationToken cancellationToken = default) =>
        intake.SubmitAsync(new Intent(BuiltInIntents.Cancel, tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.ToString(), reason = $"operator {Operator()}: {reason}" })), cancellationToken);

    private async ValueTask<IntentAcceptance> CommandAsync(TenantId tenant, SagaId saga, OperatorAction action, CancellationToken cancellationToken)
    {
        var parked = await GetParkedAsync(tenant, saga, cancellationToken).ConfigureAwait(false)
            ?? throw new SymphainyException(SmartCityErrorCodes.NotParked, $"Saga {saga} waits for no operator here (it runs, ended, or is not known to this host).");
        var command = new OperatorCommand(action, Operator());
        return await intake.SubmitAsync(new Intent(BuiltInIntents.Signal, tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.ToString(), name = ParkPrefix + parked.Step, value = command })), cancellationToken).ConfigureAwait(false);
    }

    private static string Operator() => SymphainyPrincipal.Current?.Id ?? "(unauthenticated)";
}

/// <summary>Steps the Conductor parks for operators.</summary>
public static class ConductorSagaExtensions
{
    /// <summary>
    /// Runs a step; when it fails for good (after its retry policy), the saga is parked instead of failing: it waits
    /// (recorded, surviving restarts) for an operator's <see cref="OperatorCommand"/>. <see cref="OperatorAction.Retry"/>
    /// runs the step again as a new recorded step (<c>{name} (retry {n})</c>); <see cref="OperatorAction.Abandon"/>
    /// fails it with <c>conductor.abandoned</c> and the saga compensates as for any failure.
    /// </summary>
    /// <typeparam name="T">The step's result.</typeparam>
    /// <param name="saga">The saga.</param>
    /// <param name="name">The step's name.</param>
    /// <param name="run">The step.</param>
    /// <param name="options">Its retry policy before it parks.</param>
    /// <returns>The step's result.</returns>
    public static async Task<T> StepOrPark<T>(this SagaContext saga, string name, Func<CancellationToken, Task<T>> run, StepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(saga);
        for (var round = 0; ; round++)
        {
            try
            {
                return await saga.Step(round == 0 ? name : $"{name} (retry {round})", run, options).ConfigureAwait(true);
            }
            catch (SymphainyException failed) when (failed.Code == ErrorCodes.SagaStepFailed.Code)
            {
                var command = await saga.WaitForSignal<OperatorCommand>(Conductor.ParkPrefix + name).ConfigureAwait(true);
                if (command.Action != OperatorAction.Retry)
                {
                    throw new SymphainyException(SmartCityErrorCodes.Abandoned, $"Step '{name}' was abandoned by operator {command.Operator}: {failed.Message}", failed);
                }
            }
        }
    }
}

/// <summary>
/// The Conductor's saga timeouts (<see cref="ConductorOptions.SagaTimeouts"/>): when a saga with a timeout is accepted,
/// the time is recorded with its intent; each of its steps is held to it at its boundary.
/// </summary>
/// <param name="options">The timeouts.</param>
/// <param name="time">The host's clock.</param>
public sealed class SagaTimeouts(Microsoft.Extensions.Options.IOptions<ConductorOptions> options, TimeProvider time) : IIntakePolicy, IStepPolicy
{
    private const string AcceptedKey = "symphainy.conductor.accepted";

    /// <summary>Records when a saga with a timeout was accepted (with its intent), so its steps can be held to it after restarts too.</summary>
    /// <param name="context">The intent.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A completed task.</returns>
    public ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Capability is not null && options.Value.SagaTimeouts.ContainsKey(context.Intent.Type))
        {
            context.Annotate(AcceptedKey, time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Saga timeouts, at step boundaries: a step of a saga older than its capability's timeout
    /// (<see cref="ConductorOptions.SagaTimeouts"/>) does not start; it fails with <c>conductor.saga_timed_out</c> and
    /// the saga compensates. A step already running is not interrupted (the Nurse reports one that hangs).
    /// </summary>
    /// <param name="context">The step about to run.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A completed task, or throws.</returns>
    public ValueTask EvaluateAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (options.Value.SagaTimeouts.TryGetValue(context.IntentType, out var timeout)
            && context.Metadata.TryGetValue(AcceptedKey, out var accepted)
            && long.TryParse(accepted, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var ms))
        {
            var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (age > timeout)
            {
                throw new SymphainyException(SmartCityErrorCodes.SagaTimedOut, $"Saga {context.Saga} ('{context.IntentType}') is {age} old, past its timeout of {timeout}; step '{context.Step}' does not start.");
            }
        }

        return ValueTask.CompletedTask;
    }
}
