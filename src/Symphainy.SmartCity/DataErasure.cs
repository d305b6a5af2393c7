using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.SmartCity;

/// <summary>What an erasure covers.</summary>
public enum ErasureScope
{
    /// <summary>Everything of the tenant.</summary>
    Tenant,

    /// <summary>One session of the tenant: the session and the executions (intents, sagas, steps, facts, artifacts) submitted in it.</summary>
    Session,

    /// <summary>Named executions (sagas) of the tenant, with their intents, steps, facts and artifacts.</summary>
    Executions,
}

/// <summary>
/// An erasure request, the payload of intent <see cref="DataErasure.IntentType"/> (its tenant is the intent's): the whole
/// tenant when neither <paramref name="Session"/> nor <paramref name="Executions"/> is given, otherwise one of them.
/// </summary>
/// <param name="Session">One session of the tenant, or null.</param>
/// <param name="Executions">Executions (saga ids) of the tenant, at most <see cref="DataErasure.MaxExecutions"/>, or null.</param>
public sealed record ErasureRequest(SessionId? Session = null, IReadOnlyList<SagaId>? Executions = null)
{
    /// <summary>What the request covers.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ErasureScope Scope => Session is not null ? ErasureScope.Session : Executions is not null ? ErasureScope.Executions : ErasureScope.Tenant;
}

/// <summary>What an erasure removed. Counts are what this run found and removed: running it again removes nothing more.</summary>
/// <param name="Tenant">The tenant.</param>
/// <param name="Scope">What it covered.</param>
/// <param name="Session">The session, when <see cref="ErasureScope.Session"/>.</param>
/// <param name="Executions">The executions (sagas) it covered.</param>
/// <param name="GraphNodes">The state graph nodes deleted (with every edge at them).</param>
/// <param name="EndedSagasForgotten">Ended sagas this host kept in memory for queries, forgotten.</param>
/// <param name="UpToPosition">
/// The last write-ahead log position the erasure covers: the graph had projected the log up to here when it deleted.
/// The log's own records up to here stay until log retention removes their segments.
/// </param>
public sealed record ErasureOutcome(TenantId Tenant, ErasureScope Scope, SessionId? Session, int Executions, int GraphNodes, int EndedSagasForgotten, long UpToPosition);

/// <summary>
/// The Data Steward's erasure requests: removes a tenant's data, one session's, or named executions', from the stores
/// derived from the log. A request is an intent (<see cref="IntentType"/>) submitted through intake under the caller's
/// principal, so the Security Guard authorizes it (another tenant's: <c>security.forbidden</c>; a principal without
/// <see cref="DataStewardOptions.ErasureRole"/>: <c>security.forbidden</c>) and the log records it; it then runs as a
/// saga, so an erasure interrupted by a stop or a crash completes after the next start. Its step waits until the state
/// graph has projected every log record before it, deletes the nodes (and their edges) from the state graph and forgets
/// the ended sagas the engine keeps in memory. The write-ahead log is append-only: the records stay there until log
/// retention removes their segments; a graph rebuilt from the log before then would show them again.
/// </summary>
public sealed partial class DataErasure
{
    /// <summary>The intent type of an erasure request.</summary>
    public const string IntentType = "symphainy.data.erase";

    /// <summary>The most executions one request may name.</summary>
    public const int MaxExecutions = 1_000;

    private const int Page = 1_000;

    // As the Runtime records payloads and outputs: web naming, enums as strings.
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly IIntentIntake _intake;
    private readonly ISagaEngine _engine;
    private readonly IStateGraph _graph;
    private readonly IWriteAheadLog _wal;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;

    /// <summary>Creates the service.</summary>
    /// <param name="intake">Where requests are submitted.</param>
    /// <param name="engine">The saga engine (ended sagas it keeps, the outcome of a request).</param>
    /// <param name="graph">The state graph.</param>
    /// <param name="wal">The log (how far the graph must have projected before deleting).</param>
    /// <param name="services">The host's services (the graph projector, when the host has one).</param>
    /// <param name="logger">Where erasures are logged.</param>
    public DataErasure(IIntentIntake intake, ISagaEngine engine, IStateGraph graph, IWriteAheadLog wal, IServiceProvider services, ILogger<DataErasure> logger)
    {
        _intake = intake;
        _engine = engine;
        _graph = graph;
        _wal = wal;
        _services = services;
        _logger = logger;
    }

    /// <summary>Submits an erasure request under the current principal (<see cref="SymphainyPrincipal.Use"/>); it runs as a saga.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="request">What to erase; null for the whole tenant.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The recorded request's acceptance: its execution is the erasure's saga.</returns>
    /// <exception cref="SymphainyException">
    /// <c>data.erasure_invalid</c> (no tenant, both a session and executions, too many executions),
    /// <c>data.erasure_unknown_session</c> (the tenant has no such session), <c>security.*</c> from the Security Guard.
    /// Nothing is recorded for a refused request.
    /// </exception>
    public ValueTask<IntentAcceptance> RequestAsync(TenantId tenant, ErasureRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= new ErasureRequest();
        Validate(tenant, request);
        return _intake.SubmitAsync(new Intent(IntentType, tenant, JsonSerializer.SerializeToElement(request, Json)), cancellationToken);
    }

    /// <summary>Submits an erasure request (as <see cref="RequestAsync"/>) and waits for its outcome.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="request">What to erase; null for the whole tenant.</param>
    /// <param name="cancellationToken">Stops waiting (the erasure still runs to its end).</param>
    /// <returns>What was removed.</returns>
    /// <exception cref="SymphainyException">As <see cref="RequestAsync"/>, or the erasure's own error if it failed.</exception>
    public async Task<ErasureOutcome> EraseAsync(TenantId tenant, ErasureRequest? request = null, CancellationToken cancellationToken = default)
    {
        var accepted = await RequestAsync(tenant, request, cancellationToken).ConfigureAwait(false);
        return await GetOutcomeAsync(tenant, accepted.Execution, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for an erasure's saga to end and returns what it removed.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="erasure">The erasure's execution (<see cref="IntentAcceptance.Execution"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>What was removed.</returns>
    /// <exception cref="SymphainyException">The erasure's error, when it failed or was cancelled.</exception>
    public async Task<ErasureOutcome> GetOutcomeAsync(TenantId tenant, SagaId erasure, CancellationToken cancellationToken = default)
    {
        var ended = await _engine.WaitForEndAsync(tenant, erasure, cancellationToken).ConfigureAwait(false);
        if (ended.State != SagaState.Completed || ended.GetOutput<ErasureOutcome>() is not { } outcome)
        {
            var error = ended.Error;
            throw new SymphainyException(
                new ErrorCode(error?.Code ?? ErrorCodes.SagaStepFailed.Code, error?.Kind ?? ErrorKind.Platform, isRetryable: false, "The erasure did not complete."),
                $"Erasure {erasure} of tenant {tenant} ended {ended.State}: {error?.Message}");
        }

        return outcome;
    }

    internal static void Validate(TenantId tenant, ErasureRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (tenant.Value == Guid.Empty)
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureInvalid, "An erasure request needs a tenant; default(TenantId) is none.");
        }

        if (request.Session is not null && request.Executions is not null)
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureInvalid, "An erasure request names a session or executions, not both.");
        }

        if (request.Executions is { Count: > MaxExecutions } executions)
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureInvalid, $"An erasure request names at most {MaxExecutions} executions; this one names {executions.Count}.");
        }

        if (request.Session is { } session && session.Value == Guid.Empty)
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureInvalid, "The erasure request's session is default(SessionId).");
        }
    }

    /// <summary>The erasure's step: waits for the graph to catch up with the log, then deletes. Safe to run again.</summary>
    internal async Task<ErasureOutcome> ExecuteAsync(TenantId tenant, SagaId self, ErasureRequest request, CancellationToken cancellationToken)
    {
        var upTo = _wal.NextPosition - 1;
        if (_services.GetService<StateGraphProjector>() is { } projector)
        {
            await projector.WaitForPositionAsync(upTo, cancellationToken).ConfigureAwait(false);
        }

        var selfNode = ExecutionGraph.SagaNode(self);
        List<string> sagas;
        int deleted;
        if (request.Scope == ErasureScope.Tenant)
        {
            sagas = await AllSagasAsync(tenant, cancellationToken).ConfigureAwait(false);
            sagas.Remove(selfNode);
            deleted = await _graph.DeleteTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var nodes = new HashSet<string>(StringComparer.Ordinal);
            if (request.Session is { } session)
            {
                nodes.Add(session.ToString());
                sagas = [];
                foreach (var intent in await TargetsAsync(tenant, session.ToString(), "submitted", cancellationToken).ConfigureAwait(false))
                {
                    nodes.Add(intent);
                    sagas.AddRange(await TargetsAsync(tenant, intent, "started", cancellationToken).ConfigureAwait(false));
                }
            }
            else
            {
                sagas = [.. request.Executions!.Select(ExecutionGraph.SagaNode)];
                foreach (var saga in sagas)
                {
                    nodes.UnionWith((await _graph.GetEdgesAsync(tenant, saga, EdgeDirection.Incoming, cancellationToken).ConfigureAwait(false))
                        .Where(e => e.Relation == "started").Select(e => e.From));
                }
            }

            sagas = [.. sagas.Distinct(StringComparer.Ordinal).Where(s => s != selfNode)];
            foreach (var saga in sagas)
            {
                await AddDescendantsAsync(tenant, saga, nodes, cancellationToken).ConfigureAwait(false);
            }

            nodes.Remove(selfNode);
            deleted = nodes.Count == 0 ? 0 : await _graph.DeleteNodesAsync(tenant, nodes, cancellationToken).ConfigureAwait(false);
        }

        var forgotten = sagas.Count(s => SagaId.TryParse(s, out var id) && _engine.ForgetEnded(tenant, id));
        var outcome = new ErasureOutcome(tenant, request.Scope, request.Session, sagas.Count, deleted, forgotten, upTo);
        LogErased(_logger, tenant, request.Scope, request.Session?.ToString() ?? "-", outcome.Executions, deleted, forgotten, upTo);
        return outcome;
    }

    private async Task<List<string>> AllSagasAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var sagas = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await _graph.QueryNodesAsync(tenant, GraphNodeKind.Saga, Page, after, cancellationToken).ConfigureAwait(false);
            sagas.AddRange(page.Select(n => n.Id));
            if (page.Count < Page)
            {
                return sagas;
            }

            after = page[^1].Id;
        }
    }

    private async Task<IEnumerable<string>> TargetsAsync(TenantId tenant, string node, string relation, CancellationToken cancellationToken) =>
        (await _graph.GetEdgesAsync(tenant, node, EdgeDirection.Outgoing, cancellationToken).ConfigureAwait(false))
            .Where(e => e.Relation == relation).Select(e => e.To);

    /// <summary>Adds a node and everything it led to (steps, facts, artifacts, its output) to <paramref name="nodes"/>.</summary>
    private async Task AddDescendantsAsync(TenantId tenant, string root, HashSet<string> nodes, CancellationToken cancellationToken)
    {
        var frontier = new Queue<string>([root]);
        nodes.Add(root);
        while (frontier.TryDequeue(out var node))
        {
            foreach (var edge in await _graph.GetEdgesAsync(tenant, node, EdgeDirection.Outgoing, cancellationToken).ConfigureAwait(false))
            {
                if (nodes.Add(edge.To))
                {
                    frontier.Enqueue(edge.To);
                }
            }
        }
    }

    [LoggerMessage(740, LogLevel.Information, "Data Steward erased tenant {Tenant} ({Scope}, session {Session}): {Executions} executions, {Nodes} state graph nodes, {Forgotten} ended sagas forgotten; the log's records up to position {Position} stay until log retention removes them")]
    private static partial void LogErased(ILogger logger, TenantId tenant, ErasureScope scope, string session, int executions, int nodes, int forgotten, long position);
}

/// <summary>
/// Refuses, before anything is recorded, an erasure request that is malformed or names a session its tenant does not
/// have (another tenant's sessions are unknown to it). Runs after the Security Guard, so nobody learns which sessions
/// exist in a tenant they may not act on.
/// </summary>
internal sealed class ErasureRequestPolicy(IStateGraph graph, ISessionRegistry sessions) : IIntakePolicy
{
    /// <summary>Refuses a malformed erasure request, or one naming a session the tenant does not have, before it is recorded.</summary>
    /// <param name="context">The intent.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Completes when the request is acceptable.</returns>
    public async ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Intent.Type != DataErasure.IntentType)
        {
            return;
        }

        ErasureRequest? request;
        try
        {
            request = context.Intent.Payload.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
                ? new ErasureRequest()
                : context.Intent.Payload.Deserialize<ErasureRequest>(DataErasure.Json);
        }
        catch (JsonException e)
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureInvalid, $"The erasure request is not {{\"session\"}} or {{\"executions\"}}: {e.Message}", e);
        }

        DataErasure.Validate(context.Intent.Tenant, request ?? new ErasureRequest());
        if (request?.Session is { } session && !await SessionKnownAsync(context.Intent.Tenant, session, cancellationToken).ConfigureAwait(false))
        {
            throw new SymphainyException(SmartCityErrorCodes.ErasureUnknownSession, $"Tenant {context.Intent.Tenant} has no session {session} to erase (it is unknown, or another tenant's).");
        }
    }

    private async ValueTask<bool> SessionKnownAsync(TenantId tenant, SessionId session, CancellationToken cancellationToken) =>
        await graph.GetNodeAsync(tenant, session.ToString(), cancellationToken).ConfigureAwait(false) is { Kind: GraphNodeKind.Session }
        || await sessions.GetAsync(tenant, session, cancellationToken).ConfigureAwait(false) is not null;
}

/// <summary>The erasure saga: one recorded step that does the deletes (<see cref="DataErasure"/>).</summary>
public sealed class ErasureOrchestrator : Orchestrator<ErasureRequest, ErasureOutcome>
{
    /// <inheritdoc/>
    public override Task<ErasureOutcome> RunAsync(SagaContext saga, ErasureRequest input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var tenant = saga.Tenant;
        var self = saga.SagaId;
        return saga.Step<DataErasure, ErasureOutcome>("erase", erasure => erasure.ExecuteAsync(tenant, self, input, saga.CancellationToken));
    }
}
