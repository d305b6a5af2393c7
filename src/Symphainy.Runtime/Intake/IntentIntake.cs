using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Sagas;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;

namespace Symphainy.Intake;

/// <summary>
/// The default <see cref="IIntentIntake"/>: validate, normalize, resolve, ask the policies, record
/// <c>IntentReceived</c>, acknowledge, route to the saga engine.
/// </summary>
/// <remarks>
/// Two intent types are built in: <c>symphainy.signal</c> (payload <c>{"sagaId", "name", "value"}</c>) delivers a
/// signal to a waiting saga, and <c>symphainy.cancel</c> (payload <c>{"sagaId", "reason"}</c>) cancels one.
/// </remarks>
public sealed partial class IntentIntake : IIntentIntake
{
    /// <summary>The built-in intent type that delivers a signal to a saga.</summary>
    public const string SignalIntentType = "symphainy.signal";

    /// <summary>The built-in intent type that cancels a saga.</summary>
    public const string CancelIntentType = "symphainy.cancel";

    private const int MaxTypeLength = 200;
    private const int MaxKeyLength = 200;
    private const int MaxMetadataEntries = 32;

    private readonly ICapabilityResolver _resolver;
    private readonly SagaDefinitionCatalog _catalog;
    private readonly IIntakePolicy[] _policies;
    private readonly IWriteAheadLog _wal;
    private readonly SagaEngine _engine;
    private readonly IdGenerator _ids;
    private readonly IdempotencyKeys _keys;
    private readonly IntakeOptions _options;
    private readonly ConcurrentDictionary<(TenantId, string), Task<IntentAcceptance>> _inFlight = new();

    /// <summary>Creates the intake.</summary>
    /// <param name="resolver">Resolves intent types to capabilities.</param>
    /// <param name="catalog">The saga definitions capabilities run as.</param>
    /// <param name="policies">The intake policies, asked in registration order.</param>
    /// <param name="wal">Where intents are recorded.</param>
    /// <param name="engine">Where they are routed.</param>
    /// <param name="ids">Creates intent and saga ids.</param>
    /// <param name="options">Intake settings.</param>
    public IntentIntake(
        ICapabilityResolver resolver,
        SagaDefinitionCatalog catalog,
        IEnumerable<IIntakePolicy> policies,
        IWriteAheadLog wal,
        SagaEngine engine,
        IdGenerator ids,
        IOptions<SymphainyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        _resolver = resolver;
        _catalog = catalog;
        _policies = policies.ToArray();
        _wal = wal;
        _engine = engine;
        _ids = ids;
        _options = options.Value.Intake;
        _keys = engine.IdempotencyKeys;
    }

    /// <inheritdoc/>
    public async ValueTask<IntentAcceptance> SubmitAsync(Intent intent, CancellationToken cancellationToken = default)
    {
        var normalized = Normalize(intent);
        if (!_engine.Started)
        {
            throw new SymphainyException(ErrorCodes.HostNotStarted, "Intent intake needs a started host: call IHost.StartAsync (or app.Run) before submitting intents.");
        }

        // During recovery, submissions wait for it to finish, so idempotency keys from before the restart are known.
        await _engine.Ready.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (normalized.Type is SignalIntentType or CancelIntentType)
        {
            return await ControlAsync(normalized, cancellationToken).ConfigureAwait(false);
        }

        var capability = _resolver.Resolve(normalized.Type, normalized.Version)
            ?? throw new SymphainyException(ErrorCodes.IntakeUnknownIntentType, $"No capability handles intent type '{normalized.Type}'{(normalized.Version is { } v ? $" version {v}" : "")}.");
        var problems = capability.ValidatePayload(normalized.Payload);
        if (problems.Count > 0)
        {
            throw new SymphainyException(ErrorCodes.IntakeInvalidPayload, $"The payload of '{normalized.Type}' does not match its input schema: {string.Join("; ", problems)}");
        }

        var definition = _catalog.Find(capability.SagaDefinition, capability.SagaVersion)
            ?? throw new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Capability '{capability.Capability}' runs saga '{capability.SagaDefinition}' v{capability.SagaVersion}, which is not registered.");
        foreach (var policy in _policies)
        {
            await policy.EvaluateAsync(new IntakeContext(normalized, capability), cancellationToken).ConfigureAwait(false);
        }

        if (normalized.IdempotencyKey is not { } key)
        {
            return await RecordAsync(normalized, definition, cancellationToken).ConfigureAwait(false);
        }

        // A resubmission while the first is still being recorded waits for it, so it never answers before the
        // first intent is durable.
        var own = new TaskCompletionSource<IntentAcceptance>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = _inFlight.GetOrAdd((normalized.Tenant, key), own.Task);
        if (first != own.Task)
        {
            return (await first.WaitAsync(cancellationToken).ConfigureAwait(false)) with { Duplicate = true };
        }

        try
        {
            var acceptance = await RecordOnceAsync(normalized, key, definition, cancellationToken).ConfigureAwait(false);
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
            _inFlight.TryRemove(new KeyValuePair<(TenantId, string), Task<IntentAcceptance>>((normalized.Tenant, key), own.Task));
        }
    }

    private async Task<IntentAcceptance> RecordOnceAsync(Intent intent, string key, SagaDefinition definition, CancellationToken cancellationToken)
    {
        var intentId = _ids.Next<IntentId>();
        var sagaId = _ids.Next<SagaId>();
        if (await _keys.ClaimAsync(intent.Tenant, key, intentId, sagaId, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            return new IntentAcceptance(earlier.Intent, earlier.Saga, earlier.Position, Duplicate: true);
        }

        try
        {
            var acceptance = await RecordAsync(intent, definition, cancellationToken, intentId, sagaId).ConfigureAwait(false);
            await _keys.ConfirmAsync(intent.Tenant, key, intentId, sagaId, acceptance.Position, CancellationToken.None).ConfigureAwait(false);
            return acceptance;
        }
        catch
        {
            await _keys.ReleaseAsync(intent.Tenant, key).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IntentAcceptance> RecordAsync(Intent intent, SagaDefinition definition, CancellationToken cancellationToken, IntentId? intentId = null, SagaId? sagaId = null)
    {
        var intentKey = intentId ?? _ids.Next<IntentId>();
        var saga = sagaId ?? _ids.Next<SagaId>();
        var payload = SagaRecords.Write(w =>
        {
            w.WriteString("t", intent.Type);
            w.WriteString("d", definition.Name);
            w.WriteNumber("v", definition.Version);
            w.WritePropertyName("p");
            intent.Payload.WriteTo(w);
            if (intent.IdempotencyKey is { } key)
            {
                w.WriteString("k", key);
            }

            if (intent.Metadata is { Count: > 0 } metadata)
            {
                w.WriteStartObject("md");
                foreach (var (name, value) in metadata)
                {
                    w.WriteString(name, value);
                }

                w.WriteEndObject();
            }
        });
        var position = await _wal.AppendAsync(new WalEntry(WalRecordKind.IntentReceived, intent.Tenant, payload, intent.Session, saga, intentKey), cancellationToken).ConfigureAwait(false);
        _engine.Launch(saga, intent.Tenant, intent.Session, intentKey, definition, intent.Payload, position);
        return new IntentAcceptance(intentKey, saga, position, Duplicate: false);
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
            position = await _engine.SignalAsync(intent.Tenant, saga, name, value, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var reason = payload.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "cancelled by intent";
            position = await _engine.CancelAsync(intent.Tenant, saga, reason, cancellationToken).ConfigureAwait(false);
        }

        return new IntentAcceptance(_ids.Next<IntentId>(), saga, position, Duplicate: false);
    }

    private Intent Normalize(Intent intent)
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

        var payload = intent.Payload.ValueKind == JsonValueKind.Undefined ? JsonSerializer.SerializeToElement(new { }) : intent.Payload;
        var size = JsonSerializer.SerializeToUtf8Bytes(payload).Length;
        if (size > _options.MaxPayloadBytes)
        {
            throw new SymphainyException(ErrorCodes.IntakePayloadTooLarge, $"The payload of '{type}' is {size} bytes; Symphainy:Intake:MaxPayloadBytes allows {_options.MaxPayloadBytes}.");
        }

        return intent with { Type = type, IdempotencyKey = key, Payload = payload.Clone() };
    }

    private static SymphainyException Invalid(string problem) => new(ErrorCodes.IntakeInvalidIntent, $"Invalid intent: {problem}.");

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex TypePattern();
}
