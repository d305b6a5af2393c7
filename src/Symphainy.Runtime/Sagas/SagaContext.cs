using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Internal;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas;

/// <summary>
/// What an orchestrator uses to run steps. Each call is a named step with an index in call order; its result is
/// recorded in the write-ahead log before the call returns, and on replay the recorded result is returned
/// instead of running the step again.
/// </summary>
public sealed class SagaContext
{
    private readonly ISagaHost _host;
    private readonly SagaRun _run;
    private CancellationTokenSource? _stepToken;

    internal SagaContext(ISagaHost host, SagaRun run)
    {
        _host = host;
        _run = run;
    }

    /// <summary>The saga's id.</summary>
    public SagaId SagaId => _run.Id;

    /// <summary>The saga's tenant.</summary>
    public TenantId Tenant => _run.Tenant;

    /// <summary>The session the intent came in, if any.</summary>
    public SessionId? Session => _run.Session;

    /// <summary>The intent that started the saga.</summary>
    public IntentId Intent => _run.Intent;

    /// <summary>
    /// Cancelled when the saga is cancelled or the host stops; pass it to long-running work inside steps. A step
    /// that ends because the host stops records nothing and runs again after the restart.
    /// </summary>
    public CancellationToken CancellationToken => (_stepToken ??= CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping)).Token;

    /// <summary>Runs an asynchronous step of service <typeparamref name="TService"/> (resolved from the host's services).</summary>
    /// <typeparam name="TService">A stateless, deterministic realm service.</typeparam>
    /// <typeparam name="TResult">The step's result; must round-trip through JSON.</typeparam>
    /// <param name="name">The step's name, stable across versions of the code that replay it.</param>
    /// <param name="run">The step.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <param name="compensate">Undoes the step if the saga later fails or is cancelled.</param>
    /// <returns>The step's result (the recorded one on replay).</returns>
    public Task<TResult> Step<TService, TResult>(string name, Func<TService, Task<TResult>> run, StepOptions? options = null, Func<TService, TResult, Task>? compensate = null)
        where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(name, StepKind.Step, run, static (context, run) => new ValueTask<TResult>(run(context.Resolve<TService>())), options,
            Compensation<TService, TResult>(compensate));
    }

    /// <summary>Runs a synchronous step of service <typeparamref name="TService"/>.</summary>
    /// <typeparam name="TService">A stateless, deterministic realm service.</typeparam>
    /// <typeparam name="TResult">The step's result; must round-trip through JSON.</typeparam>
    /// <param name="name">The step's name.</param>
    /// <param name="run">The step.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <param name="compensate">Undoes the step if the saga later fails or is cancelled.</param>
    /// <returns>The step's result (the recorded one on replay).</returns>
    public Task<TResult> Step<TService, TResult>(string name, Func<TService, TResult> run, StepOptions? options = null, Func<TService, TResult, Task>? compensate = null)
        where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(name, StepKind.Step, run, static (context, run) => new ValueTask<TResult>(run(context.Resolve<TService>())), options,
            Compensation<TService, TResult>(compensate));
    }

    /// <summary>Runs a step that needs no service.</summary>
    /// <typeparam name="TResult">The step's result; must round-trip through JSON.</typeparam>
    /// <param name="name">The step's name.</param>
    /// <param name="run">The step; its token is the saga's cancellation.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <returns>The step's result (the recorded one on replay).</returns>
    public Task<TResult> Step<TResult>(string name, Func<CancellationToken, Task<TResult>> run, StepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(name, StepKind.Step, run, static (context, run) => new ValueTask<TResult>(run(context.CancellationToken)), options, null);
    }

    /// <summary>
    /// Asks agent <typeparamref name="TAgent"/> for a reasoned artifact. The output is recorded as <c>AgentOutput</c>
    /// before anything sees it, and never asked for again on replay.
    /// </summary>
    /// <typeparam name="TAgent">The agent.</typeparam>
    /// <typeparam name="TResult">The artifact.</typeparam>
    /// <param name="name">The step's name.</param>
    /// <param name="run">The call to the agent.</param>
    /// <param name="options">Retry policy; the definition's when null.</param>
    /// <returns>The artifact (the recorded one on replay).</returns>
    public Task<TResult> Agent<TAgent, TResult>(string name, Func<TAgent, Task<TResult>> run, StepOptions? options = null)
        where TAgent : notnull
    {
        ArgumentNullException.ThrowIfNull(run);
        return ExecuteAsync(name, StepKind.Agent, run, static (context, run) => new ValueTask<TResult>(run(context.Resolve<TAgent>())), options, null);
    }

    /// <summary>
    /// Waits on a durable timer. The due time is recorded when the timer starts, so after a restart the saga waits
    /// only for what is left; time comes from the host's <see cref="TimeProvider"/>.
    /// </summary>
    /// <param name="name">The step's name.</param>
    /// <param name="delay">How long to wait.</param>
    public async Task Delay(string name, TimeSpan delay)
    {
        var index = Begin(name);
        if (_run.TimersFired.Contains(index))
        {
            Verify(index, name, StepKind.Timer);
            return;
        }

        DateTimeOffset due;
        if (Recorded(index) is { } scheduled)
        {
            Verify(index, name, StepKind.Timer);
            due = scheduled.Due ?? _host.Time.GetUtcNow();
        }
        else
        {
            ThrowIfCancelled();
            due = _host.Time.GetUtcNow() + delay;
            await RecordAsync(new StepCompletedPayload(index, name, StepKind.Timer, Due: due)).ConfigureAwait(true);
        }

        await WaitUntilAsync(due, name).ConfigureAwait(true);
        await RecordAsync(new SagaSignalledPayload(SignalKind.TimerFired, name, index)).ConfigureAwait(true);
    }

    /// <summary>
    /// Waits for an external signal named <paramref name="name"/> (sent by intent or <c>ISagaEngine.SignalAsync</c>)
    /// and returns its value. Signals that arrive before the wait are kept for it. With a timeout, fails with
    /// <c>saga.signal_timeout</c> when none arrives in time; the deadline is recorded and survives restarts.
    /// </summary>
    /// <typeparam name="T">The signal's value.</typeparam>
    /// <param name="name">The signal's name.</param>
    /// <param name="timeout">How long to wait at most; forever when null.</param>
    public async Task<T> WaitForSignal<T>(string name, TimeSpan? timeout = null)
    {
        var index = Begin(name);
        if (_run.TimedOut.Contains(index))
        {
            Verify(index, name, StepKind.Wait);
            throw SignalTimeout(name, timeout);
        }

        DateTimeOffset? deadline;
        if (Recorded(index) is { } wait)
        {
            Verify(index, name, StepKind.Wait);
            deadline = wait.Due;
        }
        else
        {
            ThrowIfCancelled();
            deadline = timeout is { } t ? _host.Time.GetUtcNow() + t : null;
            await RecordAsync(new StepCompletedPayload(index, name, StepKind.Wait, Due: deadline)).ConfigureAwait(true);
        }

        while (true)
        {
            if (_run.TryTake(name, out var value, out var arrived))
            {
                _run.State = SagaState.Running;
                return ReadSignal<T>(name, value);
            }

            _run.State = SagaState.Waiting;
            _run.CurrentStep = name;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping);
            var waits = new List<Task>(3) { arrived, Task.Delay(Timeout.InfiniteTimeSpan, _host.Time, linked.Token) };
            if (deadline is { } d)
            {
                var left = d - _host.Time.GetUtcNow();
                waits.Add(left > TimeSpan.Zero ? Task.Delay(left, _host.Time, linked.Token) : Task.CompletedTask);
            }

            await _host.ParkAsync(Task.WhenAny(waits), linked.Token).ConfigureAwait(true);
            ThrowIfCancelled();
            if (!arrived.IsCompleted && deadline is { } end && _host.Time.GetUtcNow() >= end)
            {
                if (_run.TryTake(name, out var late, out _))
                {
                    _run.State = SagaState.Running;
                    return ReadSignal<T>(name, late);
                }

                _run.State = SagaState.Running;
                await RecordAsync(new SagaSignalledPayload(SignalKind.TimedOut, name, index)).ConfigureAwait(true);
                throw SignalTimeout(name, timeout);
            }
        }
    }

    private TService Resolve<TService>()
        where TService : notnull => _host.Services.GetRequiredService<TService>();

    // The step's code comes as (state, static invoker) rather than a closure: a step costs no delegate allocation.
    private async Task<TResult> ExecuteAsync<TState, TResult>(string name, StepKind kind, TState state, Func<SagaContext, TState, ValueTask<TResult>> invoke, StepOptions? options, Func<TResult, Task>? compensate)
    {
        var index = Begin(name);
        if (Recorded(index) is { } recorded)
        {
            Verify(index, name, kind);
            var replayed = recorded.Result is { } r ? JsonSerializer.Deserialize<TResult>(r.Span, SymphainyJson.Options)! : default!;
            Compensable(index, name, replayed, compensate);
            return replayed;
        }

        var attempt = 0;
        if (_run.HasFailures && _run.Failures.TryGetValue(index, out var failures))
        {
            if (failures.Final is { } final)
            {
                throw new SymphainyException(ErrorCodes.SagaStepFailed, $"Step '{name}' failed: {final.Message}", new SymphainyException(new ErrorCode(final.Code, final.Kind, false, final.Message), final.Message));
            }

            attempt = failures.Attempts;
        }

        var policy = options?.Retry ?? _run.Definition.Retry;
        var recordKind = kind == StepKind.Agent ? WalRecordKind.AgentOutput : WalRecordKind.StepCompleted;
        while (true)
        {
            ThrowIfCancelled();
            if (_host.IsDraining)
            {
                throw new SagaSuspendedException($"The host drains before it stops: step '{name}' does not start; the saga resumes after restart.");
            }

            attempt++;
            _run.State = SagaState.Running;
            _run.CurrentStep = name;
            Exception error;
            var recording = false;
            using var activity = Diagnostics.SymphainyDiagnostics.Source.HasListeners() ? Diagnostics.SymphainyDiagnostics.Source.StartActivity($"step {name}") : null;
            activity?.SetTag("symphainy.step.attempt", attempt);
            try
            {
                if (_host.HasStepPolicies)
                {
                    await _host.AuthorizeStepAsync(_run, name, CancellationToken).ConfigureAwait(true); // zero trust: at every step boundary
                }

                var result = await invoke(this, state).ConfigureAwait(true);
                var completion = Encode(index, name, kind, result);
                recording = true;
                await _host.RecordAsync(_run, recordKind, completion).ConfigureAwait(true);
                _run.CompletedSteps++;
                if (Diagnostics.SymphainyDiagnostics.StepsCompleted.Enabled)
                {
                    Diagnostics.SymphainyDiagnostics.StepsCompleted.Add(1, new KeyValuePair<string, object?>("kind", kind == StepKind.Agent ? "agent" : "step"));
                }
                Compensable(index, name, result, compensate);
                return result;
            }
            catch (SagaSuspendedException)
            {
                throw;
            }
            catch (SymphainyException tooLarge) when (tooLarge.Code == ErrorCodes.WalRecordTooLarge.Code)
            {
                error = new SymphainyException(ErrorCodes.StepResultNotRecordable, $"The result of step '{name}' cannot be recorded: {tooLarge.Message}", tooLarge);
            }
            catch (SymphainyException logFailed) when (recording && logFailed.Code.StartsWith("wal.", StringComparison.Ordinal))
            {
                // The log failed, not the step: its completion may even have been written although the append failed.
                // Not a failed attempt to record and retry (that could record the step twice): the saga stops here
                // and resumes from what the log holds.
                throw;
            }
            catch (OperationCanceledException) when (_run.CancelReason is not null && !_host.IsStopping)
            {
                throw; // the saga was cancelled: it compensates and ends Cancelled
            }
            catch (Exception e)
            {
                error = e;
            }

            // A failure while the host goes away (disposed services, the stop token) is not the step's: record
            // nothing, and the step runs again after the restart.
            if (_host.IsStopping)
            {
                throw new SagaSuspendedException("The host stopped during a step; it runs again after restart.", error);
            }

            var retry = policy.ShouldRetry(error, attempt);
            var backoff = retry ? policy.Backoff(attempt, _host.Random) : TimeSpan.Zero;
            var described = SagaError.From(error, name, ErrorCodes.StepUnhandledException);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, described.Code);
            if (Diagnostics.SymphainyDiagnostics.StepsFailed.Enabled)
            {
                Diagnostics.SymphainyDiagnostics.StepsFailed.Add(1, new KeyValuePair<string, object?>("code", described.Code));
            }
            await RecordAsync(new StepFailedPayload(index, name, kind, attempt, !retry, described, backoff)).ConfigureAwait(true);
            if (!retry)
            {
                throw new SymphainyException(ErrorCodes.SagaStepFailed, $"Step '{name}' failed after {attempt} attempt(s): {error.Message}", error);
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping);
            try
            {
                await _host.ParkAsync(Task.Delay(backoff, _host.Time, linked.Token), linked.Token).ConfigureAwait(true);
            }
            catch (OperationCanceledException)
            {
                ThrowIfCancelled();
            }
        }
    }

    private static byte[] Encode<TResult>(int index, string name, StepKind kind, TResult result)
    {
        try
        {
            return WalPayloadCodec.EncodeStep(index, name, kind, result);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new SymphainyException(ErrorCodes.StepResultNotRecordable, $"The result of step '{name}' cannot be serialized to JSON: {e.Message}", e);
        }
    }

    private ValueTask RecordAsync(WalPayload payload) => _host.RecordAsync(_run, payload.Kind, WalPayloadCodec.Encode(payload));

    private StepCompletedPayload? Recorded(int index) => _run.HasRecorded && _run.Recorded.TryGetValue(index, out var recorded) ? recorded : null;

    private int Begin(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _run.NextIndex++;
    }

    private void Compensable<TResult>(int index, string name, TResult result, Func<TResult, Task>? compensate)
    {
        if (compensate is not null)
        {
            _run.Compensations.Add((index, name, Bind(compensate, result)));
        }
    }

    // Closures live in their own methods: a closure's object is allocated on entry to the method that declares what it
    // captures, so a step without compensation would otherwise pay for one.
    private static Func<Task> Bind<TResult>(Func<TResult, Task> compensate, TResult result) => () => compensate(result);

    private Func<TResult, Task>? Compensation<TService, TResult>(Func<TService, TResult, Task>? compensate)
        where TService : notnull => compensate is null ? null : CompensationOf(compensate);

    private Func<TResult, Task> CompensationOf<TService, TResult>(Func<TService, TResult, Task> compensate)
        where TService : notnull => result => compensate(Resolve<TService>(), result);

    private void Verify(int index, string name, StepKind kind)
    {
        if (Recorded(index) is { } recorded && (recorded.Name != name || recorded.StepKind != kind))
        {
            throw new SagaNondeterminismException(_run.Id, _run.Definition.Name, _run.Definition.Version, index, (kind, name), (recorded.StepKind, recorded.Name));
        }
    }

    private void ThrowIfCancelled()
    {
        if (_host.Stopping.IsCancellationRequested)
        {
            throw new SagaSuspendedException();
        }

        if (_run.CancelReason is not null)
        {
            _run.Cancellation.Token.ThrowIfCancellationRequested();
        }
    }

    private async Task WaitUntilAsync(DateTimeOffset due, string name)
    {
        var left = due - _host.Time.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            return;
        }

        _run.State = SagaState.Waiting;
        _run.CurrentStep = name;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping);
        try
        {
            await _host.ParkAsync(Task.Delay(left, _host.Time, linked.Token), linked.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException)
        {
            ThrowIfCancelled();
            throw;
        }

        _run.State = SagaState.Running;
    }

    private static T ReadSignal<T>(string name, ReadOnlyMemory<byte> value)
    {
        if (value.IsEmpty)
        {
            return default!;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(value.Span, SymphainyJson.Options)!;
        }
        catch (JsonException e)
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The value of signal '{name}' is not a {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>Releases the step token, once the saga's run is over.</summary>
    internal void Release() => _stepToken?.Dispose();

    private SymphainyException SignalTimeout(string name, TimeSpan? timeout) =>
        new(ErrorCodes.SagaSignalTimeout, $"Saga {_run.Id} waited for signal '{name}' longer than {timeout?.ToString() ?? "its recorded deadline"}.");
}
