using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Sagas;
using Symphainy.State;

namespace Symphainy.SmartCity;

/// <summary>
/// How long ended executions' data is kept in the state graph, under <c>Symphainy:SmartCity:Data:Retention</c>. The
/// retention of an ended execution is that of its intent type (<see cref="IntentTypes"/>), else its tenant's
/// (<see cref="Tenants"/>), else <see cref="EndedExecutions"/>; none of them: kept.
/// </summary>
public sealed class DataRetentionOptions
{
    /// <summary>How long an ended execution is kept, for every tenant swept. Default: null, kept.</summary>
    public TimeSpan? EndedExecutions { get; set; }

    /// <summary>
    /// Per tenant (by its string form, <c>ten_…</c>): how long its ended executions are kept, in place of
    /// <see cref="EndedExecutions"/>. A tenant listed here is swept.
    /// </summary>
    public IDictionary<string, TimeSpan> Tenants { get; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>Per capability (intent type): how long its ended executions are kept, in place of the tenant's retention.</summary>
    public IDictionary<string, TimeSpan> IntentTypes { get; } = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>How often the sweep runs. Default one hour.</summary>
    public TimeSpan SweepEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether any retention is set (otherwise the sweep does not run).</summary>
    internal bool IsSet => EndedExecutions is not null || Tenants.Count > 0 || IntentTypes.Count > 0;
}

/// <summary>What one retention sweep did.</summary>
/// <param name="Tenants">The tenants swept.</param>
/// <param name="Expired">The ended executions found past their retention.</param>
/// <param name="Erased">The executions erased.</param>
/// <param name="GraphNodes">The state graph nodes deleted.</param>
/// <param name="FailedRequests">Erasure requests that were refused or failed (logged; their executions are tried again at the next sweep).</param>
public sealed record RetentionSweepResult(int Tenants, int Expired, int Erased, int GraphNodes, int FailedRequests);

/// <summary>
/// The Data Steward's retention sweep: every <see cref="DataRetentionOptions.SweepEvery"/> (on the host's
/// <see cref="TimeProvider"/>) it finds, for each tenant it sweeps, the ended executions in the state graph older than
/// their retention (<see cref="DataRetentionOptions"/>; an execution's age is the time of its end), and erases them
/// through the same path as any erasure request: recorded intents of <see cref="DataErasure.IntentType"/>, at most
/// <see cref="DataErasure.MaxExecutions"/> executions each, submitted under a principal of the tenant
/// (<c>data-steward.retention</c>, with the erasure role), authorized by the Security Guard and run as sagas.
/// Tenancy means nothing lists tenants: the sweep covers the tenants named under
/// <see cref="DataRetentionOptions.Tenants"/> and those of the Security Guard's API keys.
/// </summary>
public sealed partial class RetentionSweep : IHostedService, IDisposable
{
    /// <summary>The id of the principal the sweep's erasure requests are submitted under.</summary>
    public const string PrincipalId = "data-steward.retention";

    private const int Page = 1_000;

    private readonly DataErasure _erasure;
    private readonly IStateGraph _graph;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<DataStewardOptions> _options;
    private readonly IOptionsMonitor<SecurityGuardOptions> _security;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private int _disposed;
    private TaskCompletionSource<RetentionSweepResult> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the sweep.</summary>
    /// <param name="erasure">How expired executions are erased.</param>
    /// <param name="graph">Where ended executions are found.</param>
    /// <param name="time">The clock of the sweep's schedule and of executions' age.</param>
    /// <param name="options">The retention settings.</param>
    /// <param name="security">The Security Guard's settings (the tenants of its API keys, the erasure's roles).</param>
    /// <param name="logger">Where progress is logged.</param>
    public RetentionSweep(DataErasure erasure, IStateGraph graph, TimeProvider time, IOptionsMonitor<DataStewardOptions> options, IOptionsMonitor<SecurityGuardOptions> security, ILogger<RetentionSweep> logger)
    {
        _erasure = erasure;
        _graph = graph;
        _time = time;
        _options = options;
        _security = security;
        _logger = logger;
    }

    /// <summary>Completes with the result of the next sweep to finish (scheduled or <see cref="SweepAsync"/>).</summary>
    public Task<RetentionSweepResult> NextSweep => Volatile.Read(ref _next).Task;

    /// <summary>Sweeps now: erases every ended execution past its retention in the tenants swept. One sweep runs at a time.</summary>
    /// <param name="cancellationToken">Stops the sweep (erasures already requested still run to their end).</param>
    /// <returns>What it did.</returns>
    public async Task<RetentionSweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var options = _options.CurrentValue.Retention;
            var now = _time.GetUtcNow();
            var tenants = Tenants(options);
            LogSweepStarted(_logger, tenants.Count, now);
            int expired = 0, erased = 0, nodes = 0, failed = 0;
            foreach (var tenant in tenants)
            {
                var found = await ExpiredAsync(tenant, options, now, cancellationToken).ConfigureAwait(false);
                var tenantErased = 0;
                foreach (var chunk in found.Chunk(DataErasure.MaxExecutions))
                {
                    try
                    {
                        ErasureOutcome outcome;
                        using (SymphainyPrincipal.Use(Principal(tenant)))
                        {
                            outcome = await _erasure.EraseAsync(tenant, new ErasureRequest(Executions: chunk), cancellationToken).ConfigureAwait(false);
                        }

                        tenantErased += outcome.Executions;
                        nodes += outcome.GraphNodes;
                    }
                    catch (SymphainyException e)
                    {
                        failed++;
                        LogErasureFailed(_logger, e, tenant, chunk.Length, e.Code);
                    }
                }

                expired += found.Count;
                erased += tenantErased;
                LogTenantSwept(_logger, tenant, found.Count, tenantErased);
            }

            var result = new RetentionSweepResult(tenants.Count, expired, erased, nodes, failed);
            LogSweepEnded(_logger, result.Tenants, result.Expired, result.Erased, result.GraphNodes, result.FailedRequests);
            Interlocked.Exchange(ref _next, new TaskCompletionSource<RetentionSweepResult>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(result);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Schedules the first sweep (its timer exists when this returns), when any retention is set.</summary>
    /// <param name="cancellationToken">Not used: nothing here waits.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.CurrentValue.Retention.IsSet)
        {
            _loop = LoopAsync(_stopping.Token);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops the schedule; erasures already requested are recorded and complete after the next start if need be.</summary>
    /// <param name="cancellationToken">Stops waiting for the sweep in progress.</param>
    /// <returns>Completes when the schedule has ended.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
            _gate.Dispose();
        }
    }

    private async Task LoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var every = _options.CurrentValue.Retention.SweepEvery;
                await Task.Delay(every > TimeSpan.Zero ? every : TimeSpan.FromHours(1), _time, stopping).ConfigureAwait(false);
                await SweepAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed sweep (the graph unreachable) is logged and tried again at the next one.
            catch (Exception e)
            {
                LogSweepFailed(_logger, e);
            }
#pragma warning restore CA1031
        }
    }

    private List<TenantId> Tenants(DataRetentionOptions options)
    {
        var named = options.Tenants.Keys.Concat(_security.CurrentValue.ApiKeys.Select(k => k.Tenant));
        var tenants = new List<TenantId>();
        foreach (var name in named.Distinct(StringComparer.Ordinal))
        {
            if (TenantId.TryParse(name, out var tenant))
            {
                tenants.Add(tenant);
            }
            else
            {
                LogBadTenant(_logger, name);
            }
        }

        return tenants;
    }

    private async Task<List<SagaId>> ExpiredAsync(TenantId tenant, DataRetentionOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var tenantRetention = options.Tenants.TryGetValue(tenant.ToString(), out var own) ? own : options.EndedExecutions;
        var expired = new List<SagaId>();
        if (tenantRetention is null && options.IntentTypes.Count == 0)
        {
            return expired;
        }

        string? after = null;
        while (true)
        {
            var page = await _graph.QueryNodesAsync(tenant, GraphNodeKind.Saga, Page, after, cancellationToken).ConfigureAwait(false);
            foreach (var node in page)
            {
                if (SagaNodeProperties.FromJson(node.Properties) is not { State: SagaState.Completed or SagaState.Failed or SagaState.Cancelled }
                    || !SagaId.TryParse(node.Id, out var saga))
                {
                    continue;
                }

                var retention = tenantRetention;
                if (options.IntentTypes.Count > 0 && await IntentTypeAsync(tenant, node.Id, cancellationToken).ConfigureAwait(false) is { } type
                    && options.IntentTypes.TryGetValue(type, out var typed))
                {
                    retention = typed;
                }

                if (retention is { } keep && node.UpdatedAt + keep <= now)
                {
                    expired.Add(saga);
                }
            }

            if (page.Count < Page)
            {
                return expired;
            }

            after = page[^1].Id;
        }
    }

    /// <summary>The intent type of the intent that started a saga, from its node in the graph.</summary>
    private async Task<string?> IntentTypeAsync(TenantId tenant, string saga, CancellationToken cancellationToken)
    {
        foreach (var edge in await _graph.GetEdgesAsync(tenant, saga, EdgeDirection.Incoming, cancellationToken).ConfigureAwait(false))
        {
            if (edge.Relation == "started"
                && await _graph.GetNodeAsync(tenant, edge.From, cancellationToken).ConfigureAwait(false) is { Kind: GraphNodeKind.Intent, Properties: { } properties }
                && properties.TryGetProperty("type", out var type))
            {
                return type.GetString();
            }
        }

        return null;
    }

    private SymphainyPrincipal Principal(TenantId tenant)
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        if (_options.CurrentValue.ErasureRole is { Length: > 0 } role)
        {
            roles.Add(role);
        }

        if (_security.CurrentValue.CapabilityRoles.TryGetValue(DataErasure.IntentType, out var needed))
        {
            roles.UnionWith(needed);
        }

        return new SymphainyPrincipal(PrincipalId, tenant, roles);
    }

    [LoggerMessage(741, LogLevel.Information, "Data Steward retention sweep starts at {Now}: {Tenants} tenants")]
    private static partial void LogSweepStarted(ILogger logger, int tenants, DateTimeOffset now);

    [LoggerMessage(742, LogLevel.Information, "Data Steward retention sweep of tenant {Tenant}: {Expired} ended executions past their retention, {Erased} erased")]
    private static partial void LogTenantSwept(ILogger logger, TenantId tenant, int expired, int erased);

    [LoggerMessage(743, LogLevel.Warning, "Data Steward retention sweep could not erase {Count} executions of tenant {Tenant} ({Code}); they are tried again at the next sweep")]
    private static partial void LogErasureFailed(ILogger logger, Exception exception, TenantId tenant, int count, string code);

    [LoggerMessage(744, LogLevel.Information, "Data Steward retention sweep done: {Tenants} tenants, {Expired} expired executions, {Erased} erased, {Nodes} state graph nodes deleted, {Failed} erasure requests failed")]
    private static partial void LogSweepEnded(ILogger logger, int tenants, int expired, int erased, int nodes, int failed);

    [LoggerMessage(745, LogLevel.Error, "Data Steward retention sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(746, LogLevel.Warning, "Data Steward retention: '{Tenant}' is not a tenant id (ten_…); it is not swept")]
    private static partial void LogBadTenant(ILogger logger, string tenant);
}
