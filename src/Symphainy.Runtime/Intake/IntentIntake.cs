using System.Diagnostics;
using Symphainy.Diagnostics;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Intake;

/// <summary>
/// The default <see cref="IIntentIntake"/>: validate, normalize, resolve, ask the policies, record
/// <c>IntentReceived</c>, acknowledge, route to the saga engine.
/// </summary>
/// <remarks>
/// <para>
/// Two intent types are built in: <c>symphainy.signal</c> (payload <c>{"sagaId", "name", "value"}</c>) delivers a
/// signal to a waiting saga, and <c>symphainy.cancel</c> (payload <c>{"sagaId", "reason"}</c>) cancels one.
/// </para>
/// <para>
/// Cancellation: a submission whose token is cancelled before its intent is recorded records nothing and throws
/// <see cref="OperationCanceledException"/>. Once the record is written the token is no longer looked at: the
/// saga starts, its idempotency key is held, and the acknowledgement is returned.
/// </para>
/// </remarks>
internal sealed partial class IntentIntake : IIntentIntake
{
    private const string SignalIntentType = BuiltInIntents.Signal;
    private const string CancelIntentType = BuiltInIntents.Cancel;

    private const int MaxTypeLength = 200;
    private const int MaxKeyLength = 200;
    private const int MaxMetadataEntries = 32;

    private readonly ICapabilityResolver _resolver;
    private readonly SagaDefinitionCatalog _catalog;
    private readonly IIntakePolicy[] _policies;
    private readonly IWriteAheadLog _wal;
    private readonly ISagaLauncher _launcher;
    private readonly ISagaEngine _engine;
    private readonly ISessionRegistry _sessions;
    private readonly IdGenerator _ids;
    private readonly IdempotencyKeys _keys;
    private readonly IntakeOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(TenantId, string), (string Fingerprint, Task<IntentAcceptance> Acceptance)> _inFlight = new();

    public IntentIntake(
        ICapabilityResolver resolver,
        SagaDefinitionCatalog catalog,
        IEnumerable<IIntakePolicy> policies,
        IWriteAheadLog wal,
        ISagaLauncher launcher,
        ISagaEngine engine,
        ISessionRegistry sessions,
        IdGenerator ids,
        IdempotencyKeys keys,
        IOptions<SymphainyOptions> options,
        ILogger<IntentIntake> logger)
    {
        _resolver = resolver;
        _catalog = catalog;
        _policies = policies.ToArray();
        _wal = wal;
        _launcher = launcher;
        _engine = engine;
        _sessions = sessions;
        _ids = ids;
        _keys = keys;
        _options = options.Value.Intake;
        _logger = logger;
    }

    /// <inheritdoc/>
    public ValueTask<IntentAcceptance> SubmitAsync(Intent intent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(intent);

        // Traced and counted only while someone listens: otherwise not even the span's name is built.
        return SymphainyDiagnostics.Source.HasListeners() || SymphainyDiagnostics.IntentsAccepted.Enabled || SymphainyDiagnostics.IntentsRefused.Enabled
            ? SubmitObservedAsync(intent, cancellationToken)
            : SubmitCoreAsync(intent, null, cancellationToken);
    }

    private async ValueTask<IntentAcceptance> SubmitObservedAsync(Intent intent, CancellationToken cancellationToken)
    {
        using var activity = SymphainyDiagnostics.Source.StartActivity($"intent {intent.Type}", ActivityKind.Producer);
        try
        {
            var accepted = await SubmitCoreAsync(intent, activity, cancellationToken).ConfigureAwait(false);
            if (SymphainyDiagnostics.IntentsAccepted.Enabled)
            {
                SymphainyDiagnostics.IntentsAccepted.Add(1, new KeyValuePair<string, object?>("type", intent.Type));
            }
            activity?.SetTag("symphainy.saga", accepted.Execution.ToString());
            return accepted;
        }
        catch (SymphainyException e)
        {
            if (SymphainyDiagnostics.IntentsRefused.Enabled)
            {
                SymphainyDiagnostics.IntentsRefused.Add(1, new KeyValuePair<string, object?>("type", intent.Type), new KeyValuePair<string, object?>("code", e.Code));
            }
            activity?.SetStatus(ActivityStatusCode.Error, e.Code);
            throw;
        }
    }

    private async ValueTask<IntentAcceptance> SubmitCoreAsync(Intent intent, Activity? activity, CancellationToken cancellationToken)
    {
        var normalized = Normalize(intent);
        if (activity is not null)
        {
            // Recorded with the intent, so the saga continues this trace, after a restart too.
            activity.SetTag("symphainy.tenant", normalized.Tenant.ToString());
            normalized = normalized with { Metadata = WithTraceParent(normalized.Metadata, activity.Id!) };
        }

        ThrowUnlessOpen(allowRecovering: true);

        // During recovery, submissions wait for it to finish, so idempotency keys and sessions from before the restart are known.
        if (!_launcher.Ready.IsCompleted)
        {
            await _launcher.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (normalized.Session is { } session)
        {
            // Unknown, ended, or another tenant's (which is simply not found): session.not_found / session.ended.
            await _sessions.GetOpenAsync(normalized.Tenant, session, cancellationToken).ConfigureAwait(false);
        }

        if (normalized.Type is SignalIntentType or CancelIntentType)
        {
            CheckSize(normalized, Measure(normalized));
            return await ControlAsync(normalized, cancellationToken).ConfigureAwait(false);
        }

        var capability = _resolver.Resolve(normalized.Type, normalized.Version)
            ?? throw new SymphainyException(ErrorCodes.IntakeUnknownIntentType, $"No capability handles intent type '{normalized.Type}'{(normalized.Version is { } v ? $" version {v}" : "")}.");
        var definition = _catalog.Find(capability.SagaDefinition, capability.SagaVersion)
            ?? throw new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Capability '{capability.Capability}' runs saga '{capability.SagaDefinition}' v{capability.SagaVersion}, which is not registered.");
        // The resolver's check (a schema, say), then binding to the orchestrator's input type, so a payload it could
        // not take is refused here and not failed later; the catalog's own check is that binding, done once.
        var problems = _catalog.IsOwn(capability, definition) ? [] : capability.ValidatePayload(normalized.Payload);
        var bound = problems.Count == 0 ? definition.BindInput(normalized.Payload, out problems) : null;
        if (problems.Count > 0)
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The payload of '{normalized.Type}' does not match its input schema: {string.Join("; ", problems)}");
        }

        if (_policies.Length > 0)
        {
            var context = new IntakeContext(normalized, capability);
            foreach (var policy in _policies)
            {
                await policy.EvaluateAsync(context, cancellationToken).ConfigureAwait(false);
            }

            if (context.Annotations is { } annotations)
            {
                normalized = normalized with { Metadata = Merge(normalized.Metadata, annotations) };
            }
        }

        var (record, input) = Encode(normalized, definition);

        if (normalized.IdempotencyKey is not { } key)
        {
            return await RecordAsync(normalized, definition, record, input, bound, _ids.Next<IntentId>(), _ids.Next<SagaId>(), cancellationToken).ConfigureAwait(false);
        }

        // The same key with another intent (type or payload) is refused, not answered with the first one's execution.
        var fingerprint = IdempotencyKeys.Fingerprint(normalized.Type, record.AsSpan(input));
        while (true)
        {
            // A resubmission while the first is still being recorded waits for it, so it never answers before the
            // first intent is durable.
            var own = new TaskCompletionSource<IntentAcceptance>(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = _inFlight.GetOrAdd((normalized.Tenant, key), (fingerprint, own.Task));
            if (first.Acceptance != own.Task)
            {
                if (first.Fingerprint != fingerprint)
                {
                    throw IdempotencyKeys.Reused(key, normalized.Type);
                }

                try
                {
                    return (await first.Acceptance.WaitAsync(cancellationToken).ConfigureAwait(false)) with { Duplicate = true };
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue; // the first submitter was cancelled before recording anything: this one takes over
                }
            }

            try
            {
                var acceptance = await RecordOnceAsync(normalized, key, fingerprint, definition, record, input, bound, cancellationToken).ConfigureAwait(false);
                own.TrySetResult(acceptance with { Duplicate = false });
                return acceptance;
            }
            catch (Exception e)
            {
                own.TrySetException(e);
                throw;
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<(TenantId, string), (string, Task<IntentAcceptance>)>((normalized.Tenant, key), (fingerprint, own.Task)));
            }
        }
    }

    private async Task<IntentAcceptance> RecordOnceAsync(Intent intent, string key, string fingerprint, SagaDefinition definition, byte[] record, Range input, object? bound, CancellationToken cancellationToken)
    {
        var intentId = _ids.Next<IntentId>();
        var sagaId = _ids.Next<SagaId>();
        if (await _keys.ClaimAsync(intent.Tenant, key, intent.Type, fingerprint, intentId, sagaId, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            return new IntentAcceptance(earlier.Intent, earlier.Saga, earlier.Position, Duplicate: true);
        }

        try
        {
            // Refused before the append starts: nothing can have been recorded, so the key is free again.
            cancellationToken.ThrowIfCancellationRequested();
            ThrowUnlessOpen(allowRecovering: false);
        }
        catch
        {
            await _keys.ReleaseAsync(intent.Tenant, key).ConfigureAwait(false);
            throw;
        }

        IntentAcceptance acceptance;
        try
        {
            acceptance = await RecordAsync(intent, definition, record, input, bound, intentId, sagaId, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not released: the record may have been written although its append failed. The claim stays pending,
            // and the key's next submission looks for the record before it takes the claim over.
            _keys.Failed(sagaId);
            throw;
        }

        try
        {
            await _keys.ConfirmAsync(intent.Tenant, key, fingerprint, intentId, sagaId, acceptance.Position, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The intent is durable and its key is in its record: the next start restores the key from the log.
            LogKeyNotConfirmed(_logger, e, sagaId);
        }

        return acceptance;
    }

    private async ValueTask<IntentAcceptance> RecordAsync(Intent intent, SagaDefinition definition, byte[] record, Range input, object? bound, IntentId intentId, SagaId sagaId, CancellationToken cancellationToken)
    {
        // The last moment a cancelled caller leaves no trace; from the append on, the intent is the platform's.
        cancellationToken.ThrowIfCancellationRequested();
        ThrowUnlessOpen(allowRecovering: false);
        long position;
        try
        {
            position = await _wal.AppendAsync(new WalEntry(WalRecordKind.IntentReceived, intent.Tenant, record, intent.Session, sagaId, intentId) { PayloadHandedOver = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException || (e is SymphainyException { Code: "wal.closed" } && _launcher.State == LauncherState.Stopping))
        {
            throw new SymphainyException(ErrorCodes.HostStopping, "The host stopped while the intent was being recorded; it was not acknowledged. Retry it with the same idempotency key.", e);
        }

        _launcher.Launch(sagaId, intent.Tenant, intent.Session, intentId, intent.Type, definition, record.AsMemory(input), position, bound, intent.Metadata);
        return new IntentAcceptance(intentId, sagaId, position, Duplicate: false);
    }

    private (byte[] Record, Range Input) Encode(Intent intent, SagaDefinition definition)
    {
        byte[] record;
        Range input;
        try
        {
            record = WalPayloadCodec.EncodeIntent(intent.Type, definition.Name, definition.Version, intent.Payload, intent.IdempotencyKey, intent.Metadata, out input);
        }
        catch (InvalidOperationException e)
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The payload of '{intent.Type}' is nested deeper than {WalPayloadCodec.MaxJsonDepth} levels.", e);
        }

        CheckSize(intent, input.GetOffsetAndLength(record.Length).Length);
        return (record, input);
    }

    private static int Measure(Intent intent)
    {
        try
        {
            return WalPayloadCodec.JsonSize(intent.Payload);
        }
        catch (InvalidOperationException e)
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The payload of '{intent.Type}' is nested deeper than {WalPayloadCodec.MaxJsonDepth} levels.", e);
        }
    }

    private void CheckSize(Intent intent, int size)
    {
        if (size > _options.MaxPayloadBytes)
        {
            throw new SymphainyException(ErrorCodes.IntakePayloadTooLarge, $"The payload of '{intent.Type}' is {size} bytes; Symphainy:Intake:MaxPayloadBytes allows {_options.MaxPayloadBytes}.");
        }
    }

    private void ThrowUnlessOpen(bool allowRecovering)
    {
        switch (_launcher.State)
        {
            case LauncherState.NotStarted:
                throw new SymphainyException(ErrorCodes.HostNotStarted, "Intent intake needs a started host: call IHost.StartAsync (or app.Run) before submitting intents.");
            case LauncherState.Stopping:
                throw new SymphainyException(ErrorCodes.HostStopping, "The host is stopping and accepts no new intents; nothing was recorded. Retry against a running host.");
            case LauncherState.Recovering when !allowRecovering:
                throw new SymphainyException(ErrorCodes.HostNotStarted, "The host is still recovering its log.");
        }
    }

    private async Task<IntentAcceptance> ControlAsync(Intent intent, CancellationToken cancellationToken)
    {
        foreach (var policy in _policies)
        {
            await policy.EvaluateAsync(new IntakeContext(intent, null), cancellationToken).ConfigureAwait(false);
        }

        var payload = intent.Payload;
        var sagaText = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("sagaId", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (!SagaId.TryParse(sagaText, out var saga))
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The payload of '{intent.Type}' needs \"sagaId\": the execution id to address, as returned when its intent was accepted.");
        }

        long position;
        if (intent.Type == SignalIntentType)
        {
            var name = payload.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, "The payload of 'symphainy.signal' needs \"name\": the signal the saga waits for.");
            }

            var value = payload.TryGetProperty("value", out var v) ? v : default;
            ThrowUnlessOpen(allowRecovering: false);
            position = await _engine.SignalAsync(intent.Tenant, saga, name, value, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var reason = payload.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "cancelled by intent";
            ThrowUnlessOpen(allowRecovering: false);
            position = await _engine.CancelAsync(intent.Tenant, saga, reason, cancellationToken).ConfigureAwait(false);
        }

        return new IntentAcceptance(_ids.Next<IntentId>(), saga, position, Duplicate: false);
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? metadata, IReadOnlyDictionary<string, string> annotations)
    {
        var merged = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        foreach (var (key, value) in annotations)
        {
            merged[key] = value;
        }

        return merged;
    }

    private static Dictionary<string, string> WithTraceParent(IReadOnlyDictionary<string, string>? metadata, string traceParent)
    {
        var with = metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        with[SymphainyDiagnostics.TraceParentKey] = traceParent;
        return with;
    }

    private static Intent Normalize(Intent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var type = intent.Type?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type) || type.Length > MaxTypeLength || !TypePattern().IsMatch(type))
        {
            throw Invalid($"type '{intent.Type}' is not an intent type: use dotted lowercase names such as 'insights.assess_data_quality'");
        }

        if (intent.Tenant.Value == Guid.Empty)
        {
            throw Invalid("an intent needs a tenant");
        }

        if (intent.Session is { Value.Version: not 7 })
        {
            throw Invalid("the session id is not a real id (default(SessionId))");
        }

        var key = intent.IdempotencyKey?.Trim();
        if (key is { Length: 0 or > MaxKeyLength } || (key is not null && key.Any(char.IsControl)))
        {
            throw Invalid($"an idempotency key must be 1 to {MaxKeyLength} characters without control characters");
        }

        if (intent.Metadata is { } metadata && (metadata.Count > MaxMetadataEntries || metadata.Any(m => string.IsNullOrWhiteSpace(m.Key) || m.Key.Length > 64 || m.Value is null || m.Value.Length > 1024)))
        {
            throw Invalid($"metadata takes at most {MaxMetadataEntries} entries, keys of 1 to 64 characters and values up to 1024");
        }

        if (intent.Version is < 1)
        {
            throw Invalid("a version is 1 or more");
        }

        // Most intents arrive normalized already: then no copy is made.
        return ReferenceEquals(type, intent.Type) && ReferenceEquals(key, intent.IdempotencyKey) && intent.Payload.ValueKind != JsonValueKind.Undefined
            ? intent
            : intent with { Type = type, IdempotencyKey = key, Payload = intent.Payload.ValueKind == JsonValueKind.Undefined ? EmptyObject : intent.Payload };
    }

    private static SymphainyException Invalid(string problem) => new(ErrorCodes.IntakeInvalidIntent, $"Invalid intent: {problem}.");

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    [LoggerMessage(40, LogLevel.Warning, "Saga {Saga}: its intent is recorded but its idempotency key could not be stored; the key is restored from the log on the next start")]
    private static partial void LogKeyNotConfirmed(ILogger logger, Exception exception, SagaId saga);

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex TypePattern();
}
