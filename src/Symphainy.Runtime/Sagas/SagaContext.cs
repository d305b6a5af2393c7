using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Events;
using Symphainy.Internal;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;

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

    /// <summary>Cancelled when the saga is cancelled; pass it to long-running work inside steps.</summary>
    public CancellationToken CancellationToken => _run.Cancellation.Token;

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
        return ExecuteAsync(name, "step", WalRecordKind.StepCompleted, ExecutionEventKind.StepCompleted, () => run(_host.Services.GetRequiredService<TService>()), options,
            compensate is null ? null : result => compensate(_host.Services.GetRequiredService<TService>(), result));
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
        return Step<TService, TResult>(name, service => Task.FromResult(run(service)), options, compensate);
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
        return ExecuteAsync<TResult>(name, "step", WalRecordKind.StepCompleted, ExecutionEventKind.StepCompleted, () => run(CancellationToken), options, null);
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
        return ExecuteAsync<TResult>(name, "agent", WalRecordKind.AgentOutput, ExecutionEventKind.AgentOutput, () => run(_host.Services.GetRequiredService<TAgent>()), options, null);
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
            Verify(index, name, "timer");
            return;
        }

        DateTimeOffset due;
        if (_run.Recorded.TryGetValue(index, out var scheduled))
        {
            Verify(index, name, "timer");
            due = scheduled.GetProperty("due").GetDateTimeOffset();
        }
        else
        {
            ThrowIfCancelled();
            due = _host.Time.GetUtcNow() + delay;
            await _host.RecordAsync(_run, WalRecordKind.StepCompleted, SagaRecords.Step(index, name, "timer", due: due), ExecutionEventKind.Waiting, name).ConfigureAwait(true);
        }

        await WaitUntilAsync(due, name).ConfigureAwait(true);
        await _host.RecordAsync(_run, WalRecordKind.SagaSignalled, SagaRecords.Signal("timer", name, index: index), ExecutionEventKind.Signalled, name).ConfigureAwait(true);
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
            Verify(index, name, "wait");
            throw SignalTimeout(name, timeout);
        }

        DateTimeOffset? deadline;
        if (_run.Recorded.TryGetValue(index, out var wait))
        {
            Verify(index, name, "wait");
            deadline = wait.TryGetProperty("due", out var due) ? due.GetDateTimeOffset() : null;
        }
        else
        {
            ThrowIfCancelled();
            deadline = timeout is { } t ? _host.Time.GetUtcNow() + t : null;
            await _host.RecordAsync(_run, WalRecordKind.StepCompleted, SagaRecords.Step(index, name, "wait", due: deadline), ExecutionEventKind.Waiting, name).ConfigureAwait(true);
        }

        while (true)
        {
            if (_run.TryTake(name, out var value, out var arrived))
            {
                _run.State = SagaState.Running;
                return value.Deserialize<T>(SymphainyJson.Options)!;
            }

            _run.State = SagaState.Waiting;
            _run.CurrentStep = name;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping);
            var waits = new List<Task> { arrived };
            if (deadline is { } d)
            {
                var left = d - _host.Time.GetUtcNow();
                waits.Add(left > TimeSpan.Zero ? Task.Delay(left, _host.Time, linked.Token) : Task.CompletedTask);
            }

            waits.Add(Task.Delay(Timeout.InfiniteTimeSpan, _host.Time, linked.Token));
            await Task.WhenAny(waits).ConfigureAwait(true);
            ThrowIfCancelled();
            if (!arrived.IsCompleted && deadline is { } end && _host.Time.GetUtcNow() >= end)
            {
                if (_run.TryTake(name, out var late, out _))
                {
                    _run.State = SagaState.Running;
                    return late.Deserialize<T>(SymphainyJson.Options)!;
                }

                await _host.RecordAsync(_run, WalRecordKind.SagaSignalled, SagaRecords.Signal("timeout", name, index: index), ExecutionEventKind.StepFailed, name).ConfigureAwait(true);
                throw SignalTimeout(name, timeout);
            }
        }
    }

    private async Task<TResult> ExecuteAsync<TResult>(string name, string kind, WalRecordKind recordKind, ExecutionEventKind eventKind, Func<Task<TResult>> run, StepOptions? options, Func<TResult, Task>? compensate)
    {
        var index = Begin(name);
        if (_run.HasRecorded && _run.Recorded.TryGetValue(index, out var recorded))
        {
            Verify(index, name, kind);
            var replayed = recorded.TryGetProperty("r", out var r) ? r.Deserialize<TResult>(SymphainyJson.Options)! : default!;
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
        while (true)
        {
            ThrowIfCancelled();
            attempt++;
            _run.State = SagaState.Running;
            _run.CurrentStep = name;
            TResult result;
            try
            {
                result = await run().ConfigureAwait(true);
            }
            catch (Exception error) when (error is not OperationCanceledException || _run.CancelReason is null)
            {
                var retry = policy.ShouldRetry(error, attempt);
                var backoff = retry ? policy.Backoff(attempt, _host.Random) : TimeSpan.Zero;
                var described = Describe(error, name);
                await _host.RecordAsync(_run, WalRecordKind.StepFailed, SagaRecords.Failed(index, name, attempt, !retry, described, backoff), ExecutionEventKind.StepFailed, name).ConfigureAwait(true);
                if (!retry)
                {
                    throw new SymphainyException(ErrorCodes.SagaStepFailed, $"Step '{name}' failed after {attempt} attempt(s): {error.Message}", error);
                }

                using var linked = CancellationTokenSource.CreateLinkedTokenSource(_run.Cancellation.Token, _host.Stopping);
                try
                {
                    await Task.Delay(backoff, _host.Time, linked.Token).ConfigureAwait(true);
                }
                catch (OperationCanceledException)
                {
                    ThrowIfCancelled();
                }

                continue;
            }

            var payload = SagaRecords.Step(index, name, kind, result);
            await _host.RecordAsync(_run, recordKind, payload, eventKind, name).ConfigureAwait(true);
            _run.CompletedSteps++;
            Compensable(index, name, result, compensate);
            return result;
        }
    }

    private int Begin(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _run.NextIndex++;
    }

    private void Compensable<TResult>(int index, string name, TResult result, Func<TResult, Task>? compensate)
    {
        if (compensate is not null)
        {
            _run.Compensations.Add((index, name, () => compensate(result)));
        }
    }

    private void Verify(int index, string name, string kind)
    {
        var recorded = _run.HasRecorded && _run.Recorded.TryGetValue(index, out var entry) ? entry : (JsonElement?)null;
        var recordedName = recorded?.GetProperty("n").GetString();
        var recordedKind = recorded?.GetProperty("k").GetString();
        if (recorded is not null && (recordedName != name || recordedKind != kind))
        {
            throw new SymphainyException(
                ErrorCodes.SagaNondeterministic,
                $"Saga {_run.Id} ({_run.Definition.Name} v{_run.Definition.Version}) called {kind} '{name}' as step {index}, but the log recorded {recordedKind} '{recordedName}' there.");
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
            await Task.Delay(left, _host.Time, linked.Token).ConfigureAwait(true);
        }
        catch (OperationCanceledException)
        {
            ThrowIfCancelled();
            throw;
        }

        _run.State = SagaState.Running;
    }

    private static SagaError Describe(Exception error, string step) => error is SymphainyException typed
        ? new SagaError(typed.Code, typed.Kind, typed.Message, step)
        : new SagaError("step.unhandled_exception", ErrorKind.Platform, $"{error.GetType().Name}: {error.Message}", step);

    private SymphainyException SignalTimeout(string name, TimeSpan? timeout) =>
        new(ErrorCodes.SagaSignalTimeout, $"Saga {_run.Id} waited for signal '{name}' longer than {timeout?.ToString() ?? "its recorded deadline"}.");
}
