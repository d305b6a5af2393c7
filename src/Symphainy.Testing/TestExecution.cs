using System.Text.Json;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Testing;

/// <summary>
/// An execution submitted to a <see cref="SymphainyTestHost"/>: wait for its end, then read (or assert on, with
/// <c>Should()</c>) its state, output, steps, retries, compensations, agent outputs and events. It follows the host
/// across <see cref="SymphainyTestHost.CrashAndRecoverAsync"/>.
/// </summary>
public sealed class TestExecution
{
    private readonly SymphainyTestHost _host;

    internal TestExecution(SymphainyTestHost host, TenantId tenant, SagaId id, string? intentType)
    {
        _host = host;
        Tenant = tenant;
        Id = id;
        IntentType = intentType;
    }

    /// <summary>The execution (saga) id.</summary>
    public SagaId Id { get; }

    /// <summary>Its tenant.</summary>
    public TenantId Tenant { get; }

    /// <summary>The intent type it was submitted as (null for a handle made from an id alone, until refreshed).</summary>
    public string? IntentType { get; private set; }

    /// <summary>The intent that started it (default for a handle made from an id alone).</summary>
    public IntentId Intent { get; internal init; }

    /// <summary>The log position of its intent's record.</summary>
    public long Position { get; internal init; }

    /// <summary>Whether the submission was a duplicate of an earlier one with the same idempotency key.</summary>
    public bool Duplicate { get; internal init; }

    /// <summary>The engine's view of it when last refreshed (null before).</summary>
    public SagaSnapshot? Snapshot { get; private set; }

    /// <summary>Its records in the log when last refreshed (empty before).</summary>
    public ExecutionHistory History { get; private set; } = new([]);

    /// <summary>Its state when last refreshed.</summary>
    public SagaState? State => Snapshot?.State;

    /// <summary>Why it failed or was cancelled, when last refreshed.</summary>
    public SagaError? Error => Snapshot?.Error;

    /// <summary>Its output deserialized as <typeparamref name="T"/> (web naming, enums as strings).</summary>
    /// <typeparam name="T">The orchestrator's output type.</typeparam>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">It has not completed (as of the last refresh).</exception>
    public T Output<T>() => Snapshot is { State: SagaState.Completed, OutputJson: { } json }
        ? JsonSerializer.Deserialize<T>(json.Span, ExecutionHistory.Json)!
        : throw new InvalidOperationException($"Execution {Id} has no output: it is {Snapshot?.State.ToString() ?? "not refreshed yet"}{(Error is { } e ? $" ({e.Code}: {e.Message})" : "")}.");

    /// <summary>
    /// Waits until the execution ends, then refreshes <see cref="Snapshot"/> and <see cref="History"/>. Fails at once,
    /// instead of hanging, when the engine becomes idle with the execution still waiting (for a timer, a signal or an
    /// admission), and after <paramref name="timeout"/> when a step is still running; either way with
    /// <c>testing.execution_did_not_end</c> and a message naming the execution, its type, its state and its last recorded step.
    /// </summary>
    /// <param name="timeout">How long a running step may take; <see cref="SymphainyTestHostOptions.EndTimeout"/> when null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>This execution, ended.</returns>
    public async Task<TestExecution> WaitForEndAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? _host.Options.EndTimeout;
        var engine = _host.Engine;
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var end = engine.WaitForEndAsync(Tenant, Id, waiting.Token);
        var idle = engine.WhenIdleAsync(waiting.Token);
        var expired = Task.Delay(limit, TimeProvider.System, waiting.Token);
        var first = await Task.WhenAny(end, idle, expired).ConfigureAwait(false);
        if (first != end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var snapshot = await engine.GetAsync(Tenant, Id, cancellationToken).ConfigureAwait(false);
            if (snapshot is not { IsEnded: true })
            {
                await waiting.CancelAsync().ConfigureAwait(false);
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                throw new SymphainyException(TestingErrorCodes.ExecutionDidNotEnd, DescribeNotEnded(first == idle, limit));
            }
        }

        await waiting.CancelAsync().ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return this;
    }

    /// <summary>Reads the engine's view and the log's records of this execution again.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>This execution.</returns>
    public async Task<TestExecution> RefreshAsync(CancellationToken cancellationToken = default)
    {
        Snapshot = await _host.Engine.GetAsync(Tenant, Id, cancellationToken).ConfigureAwait(false) ?? Snapshot;
        var records = new List<WalRecord>();
        var log = _host.Log;
        await foreach (var record in log.ReadAsync(log.FirstPosition, cancellationToken).ConfigureAwait(false))
        {
            if (record.Saga == Id && record.Tenant == Tenant)
            {
                records.Add(record);
            }
        }

        History = new ExecutionHistory(records);
        IntentType ??= History.Entries.Select(e => e.Payload).OfType<Symphainy.Wal.Records.IntentReceivedPayload>().FirstOrDefault()?.IntentType;
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => $"execution {Id} ({IntentType ?? "type unknown"}){(Snapshot is { } s ? $", {s.State}" : "")}";

    private string DescribeNotEnded(bool idle, TimeSpan limit)
    {
        var state = Snapshot is { } s ? $"{s.State}{(s.CurrentStep is { } step ? $" in step '{step}'" : "")}" : "unknown to the engine";
        var last = History.LastStep is { } recorded ? $"step {recorded.Index} {RecordedStep.Describe(recorded.Kind)} '{recorded.Name}' (log position {recorded.Position})" : "none";
        var why = idle
            ? "the engine is idle, so it waits for something from outside: advance host.Time past a timer, send the signal it waits for, or let an admission through"
            : $"a step was still running after {limit.TotalSeconds:0.#} s";
        return $"Execution {Id} ({IntentType ?? "type unknown"}) did not end: it is {state}; {why}. Last recorded step: {last}.";
    }
}
