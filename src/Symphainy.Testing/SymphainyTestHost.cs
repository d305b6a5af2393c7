using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Agents;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.SmartCity;
using Symphainy.Wal;

namespace Symphainy.Testing;

/// <summary>
/// The whole platform in the test's process, on in-memory adapters and a <see cref="FakeTimeProvider"/>, with every Smart
/// City service active: register realms, submit intents as a tenant, move the clock, send signals, await an execution's
/// end, inject faults, crash and recover, record executions for replay tests. No server, no sleeps: waits end when the
/// engine is idle (<see cref="ISagaEngine.WhenIdleAsync"/>).
/// </summary>
/// <example>
/// <code>
/// await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm&lt;InsightsRealm&gt;());
/// var run = await host.RunAsync("insights.assess_data_quality", input);
/// run.Should().HaveCompleted().And.HaveStepsInOrder("load", "check", "explain");
/// </code>
/// </example>
public sealed class SymphainyTestHost : IAsyncDisposable
{
    private readonly Action<ISymphainyBuilder>? _configure;
    private readonly Action<IServiceCollection>? _services;
    private readonly bool _ownsDirectory;
    private readonly List<Task> _abandoned = [];
    private IWriteAheadLog _durable;
    private SeverableWriteAheadLog _log;
    private IHost? _host;

    private SymphainyTestHost(Action<ISymphainyBuilder>? configure, SymphainyTestHostOptions options, Action<IServiceCollection>? services)
    {
        _configure = configure;
        _services = services;
        Options = options;
        Time = new FakeTimeProvider(options.StartTime);
        _ownsDirectory = options.DataDirectory is null;
        DataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("symphainy-test-").FullName;
        _durable = options.Log ?? OpenLog();
        _log = new SeverableWriteAheadLog(_durable);
    }

    /// <summary>The fake clock every part of the platform reads; advance it with <see cref="AdvanceAsync"/>.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The options the host was started with.</summary>
    public SymphainyTestHostOptions Options { get; }

    /// <summary>The default tenant intents are submitted as.</summary>
    public TenantId Tenant => Options.Tenant;

    /// <summary>The data directory (blobs; the log's segments with <see cref="SymphainyTestHostOptions.UseFileLog"/>).</summary>
    public string DataDirectory { get; }

    /// <summary>Faults to inject into the realms' services and agents.</summary>
    public FaultInjector Faults { get; } = new();

    /// <summary>How many times the host was started: 1, plus one per <see cref="CrashAndRecoverAsync"/>.</summary>
    public int Generation { get; private set; }

    /// <summary>The running host's services.</summary>
    public IServiceProvider Services => (_host ?? throw new InvalidOperationException("The test host is not running.")).Services;

    /// <summary>The saga engine of the running host.</summary>
    public ISagaEngine Engine => Services.GetRequiredService<ISagaEngine>();

    /// <summary>The intake of the running host.</summary>
    public IIntentIntake Intake => Services.GetRequiredService<IIntentIntake>();

    /// <summary>The durable log, which outlives a crash of the host.</summary>
    public IWriteAheadLog Log => _durable;

    /// <summary>Starts a test host; <paramref name="configure"/> adds realms (and anything else) as a host's <c>AddSymphainy</c> would.</summary>
    /// <param name="configure">Adds realms, capabilities and services: <c>s =&gt; s.AddRealm&lt;MyRealm&gt;()</c>.</param>
    /// <param name="options">Changes the defaults: tenant, roles, policies, clock start, file log, chat client.</param>
    /// <returns>The started host.</returns>
    public static Task<SymphainyTestHost> StartAsync(Action<ISymphainyBuilder>? configure = null, Action<SymphainyTestHostOptions>? options = null) =>
        StartAsync(configure, options, null);

    internal static async Task<SymphainyTestHost> StartAsync(Action<ISymphainyBuilder>? configure, Action<SymphainyTestHostOptions>? options, Action<IServiceCollection>? services, IWriteAheadLog? log = null)
    {
        var settings = new SymphainyTestHostOptions();
        options?.Invoke(settings);
        settings.Log ??= log;
        var host = new SymphainyTestHost(configure, settings, services);
        try
        {
            await host.StartGenerationAsync().ConfigureAwait(false);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>Submits an intent as the host's tenant and principal (or as <paramref name="submit"/> says); does not wait for it to run.</summary>
    /// <param name="intentType">The intent type (a capability's name).</param>
    /// <param name="input">The payload: any object (serialized with web naming) or a <see cref="JsonElement"/>; an empty object when null.</param>
    /// <param name="submit">Tenant, session, idempotency key, principal, roles, metadata, version.</param>
    /// <param name="cancellationToken">Cancels the submission (until the intent is recorded).</param>
    /// <returns>The accepted execution.</returns>
    /// <exception cref="SymphainyException">Whatever intake and the policies refuse it with (<c>intake.*</c>, <c>security.*</c>, <c>traffic.*</c>).</exception>
    public async Task<TestExecution> SubmitAsync(string intentType, object? input = null, SubmitOptions? submit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(intentType);
        var tenant = submit?.Tenant ?? Tenant;
        var payload = input is JsonElement element ? element : JsonSerializer.SerializeToElement(input ?? new { }, ExecutionHistory.Json);
        var intent = new Intent(intentType, tenant, payload, submit?.Session, submit?.IdempotencyKey, submit?.Metadata, submit?.Version);
        IntentAcceptance accepted;
        if (submit?.Anonymous == true)
        {
            accepted = await Intake.SubmitAsync(intent, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var roles = new HashSet<string>(submit?.Roles ?? (IEnumerable<string>)Options.Roles, StringComparer.Ordinal);
            using (SymphainyPrincipal.Use(new SymphainyPrincipal(submit?.PrincipalId ?? Options.PrincipalId, tenant, roles)))
            {
                accepted = await Intake.SubmitAsync(intent, cancellationToken).ConfigureAwait(false);
            }
        }

        return new TestExecution(this, tenant, accepted.Execution, intentType) { Intent = accepted.Intent, Position = accepted.Position, Duplicate = accepted.Duplicate };
    }

    /// <summary>Submits an intent and waits for its execution to end (see <see cref="TestExecution.WaitForEndAsync"/>).</summary>
    /// <param name="intentType">The intent type.</param>
    /// <param name="input">The payload.</param>
    /// <param name="submit">Tenant, session, idempotency key, principal, roles, metadata, version.</param>
    /// <param name="cancellationToken">Cancels the submission and the wait.</param>
    /// <returns>The ended execution, its history loaded.</returns>
    public async Task<TestExecution> RunAsync(string intentType, object? input = null, SubmitOptions? submit = null, CancellationToken cancellationToken = default)
    {
        var execution = await SubmitAsync(intentType, input, submit, cancellationToken).ConfigureAwait(false);
        return await execution.WaitForEndAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An execution of this host known by its id (one submitted before a crash, or by another client).</summary>
    /// <param name="execution">The execution id.</param>
    /// <param name="tenant">Its tenant; the host's when null.</param>
    /// <returns>A handle on it.</returns>
    public TestExecution Execution(SagaId execution, TenantId? tenant = null) => new(this, tenant ?? Tenant, execution, null);

    /// <summary>Starts a session (recorded in the log) for intents to name.</summary>
    /// <param name="tenant">Its tenant; the host's when null.</param>
    /// <param name="ttl">Its time to live; the configured default when null.</param>
    /// <returns>The session id.</returns>
    public async Task<SessionId> StartSessionAsync(TenantId? tenant = null, TimeSpan? ttl = null) =>
        (await Services.GetRequiredService<ISessionRegistry>().CreateAsync(tenant ?? Tenant, ttl).ConfigureAwait(false)).Id;

    /// <summary>
    /// Waits until the engine is idle (so every saga that will start a timer has started it), moves the clock forward
    /// (timers due by then fire, in due order) and waits until the engine is idle again.
    /// </summary>
    /// <param name="by">How far.</param>
    /// <returns>A task that completes once nothing can progress without something from outside.</returns>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await WhenIdleAsync().ConfigureAwait(false);
        Time.Advance(by);
        await WhenIdleAsync().ConfigureAwait(false);
    }

    /// <summary>Completes when no saga can make progress without something from outside (a timer, a signal, a submission).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The wait.</returns>
    public Task WhenIdleAsync(CancellationToken cancellationToken = default) => Engine.WhenIdleAsync(cancellationToken);

    /// <summary>Sends a signal to an execution (recorded, then delivered) and waits until the engine is idle again.</summary>
    /// <param name="execution">The execution.</param>
    /// <param name="name">The signal's name (what the orchestrator's <c>WaitForSignal</c> names).</param>
    /// <param name="value">Its value (serialized with web naming).</param>
    /// <returns>The log position of the signal's record.</returns>
    public async Task<long> SignalAsync(TestExecution execution, string name, object? value = null)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var position = await Engine.SignalAsync(execution.Tenant, execution.Id, name, JsonSerializer.SerializeToElement(value, ExecutionHistory.Json)).ConfigureAwait(false);
        await WhenIdleAsync().ConfigureAwait(false);
        return position;
    }

    /// <summary>Cancels an execution (recorded; it compensates and ends Cancelled) and waits until the engine is idle again.</summary>
    /// <param name="execution">The execution.</param>
    /// <param name="reason">Why, for the record.</param>
    /// <returns>The log position of the cancellation's record.</returns>
    public async Task<long> CancelAsync(TestExecution execution, string reason = "cancelled by the test")
    {
        ArgumentNullException.ThrowIfNull(execution);
        var position = await Engine.CancelAsync(execution.Tenant, execution.Id, reason).ConfigureAwait(false);
        await WhenIdleAsync().ConfigureAwait(false);
        return position;
    }

    /// <summary>
    /// Kills the host and starts a new one on the same durable log and data directory, as after a process crash: the
    /// running host is cut off from the log at once (no drain, no graceful stop: whatever it had not recorded is lost,
    /// steps that were running run again), then a new host recovers every unfinished execution from the log. Hot state,
    /// the state graph and in-memory queues start empty, as they would. Faults stay armed and the clock stays where it is.
    /// </summary>
    /// <returns>A task that completes once the new host has started.</returns>
    public async Task CrashAndRecoverAsync()
    {
        await _log.SeverAsync().ConfigureAwait(false);
        if (_host is { } dead)
        {
            _host = null;
            _abandoned.Add(AbandonAsync(dead));
        }

        if (_durable is FileWriteAheadLog file && Options.Log is null)
        {
            await file.DisposeAsync().ConfigureAwait(false); // closed as a dead process leaves it: reopening runs torn-tail recovery
            _durable = OpenLog();
        }

        _log = new SeverableWriteAheadLog(_durable);
        await StartGenerationAsync().ConfigureAwait(false);
    }

    /// <summary>Saves an execution's records as a log segment file, for a replay test to run later code against.</summary>
    /// <param name="execution">The execution.</param>
    /// <param name="path">The file to write.</param>
    /// <returns>The recording saved.</returns>
    public async Task<ExecutionRecording> RecordAsync(TestExecution execution, string path)
    {
        ArgumentNullException.ThrowIfNull(execution);
        var recording = await ExecutionRecording.FromLogAsync(_durable, execution.Tenant, execution.Id).ConfigureAwait(false);
        await recording.SaveAsync(path).ConfigureAwait(false);
        return recording;
    }

    /// <summary>
    /// Replays a recorded execution against the code <paramref name="configure"/> registers, on a fresh test host: the
    /// engine's own recovery runs the orchestrator against the recorded steps (no recorded step runs again), and every
    /// difference between the calls the code makes and the recording is reported.
    /// </summary>
    /// <param name="recording">The recording (<see cref="ExecutionRecording.LoadAsync"/>).</param>
    /// <param name="configure">Registers the realms as the code under test has them now.</param>
    /// <param name="options">Changes the replay host's defaults.</param>
    /// <returns>What the replay found.</returns>
    public static Task<ReplayResult> ReplayAsync(ExecutionRecording recording, Action<ISymphainyBuilder> configure, Action<SymphainyTestHostOptions>? options = null) =>
        Replayer.ReplayAsync(recording, configure, options);

    /// <summary>Loads a recorded execution from <paramref name="path"/> and replays it (see <see cref="ReplayAsync(ExecutionRecording, Action{ISymphainyBuilder}, Action{SymphainyTestHostOptions}?)"/>).</summary>
    /// <param name="path">The log segment file.</param>
    /// <param name="configure">Registers the realms as the code under test has them now.</param>
    /// <param name="options">Changes the replay host's defaults.</param>
    /// <returns>What the replay found.</returns>
    public static async Task<ReplayResult> ReplayAsync(string path, Action<ISymphainyBuilder> configure, Action<SymphainyTestHostOptions>? options = null) =>
        await Replayer.ReplayAsync(await ExecutionRecording.LoadAsync(path).ConfigureAwait(false), configure, options).ConfigureAwait(false);

    /// <summary>Stops the host gracefully, closes the log and deletes a data directory it created.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            try
            {
                await host.StopAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A step that never finished (a test that failed while a step was blocked) outlasted the host's shutdown
                // timeout; the test's own result is what matters, so the stop's timeout does not replace it.
            }
            finally
            {
                host.Dispose();
            }
        }

        foreach (var abandoned in _abandoned)
        {
            await abandoned.ConfigureAwait(false);
        }

        if (_durable is IAsyncDisposable disposable && Options.Log is null)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a host that was killed; the temporary directory is left for the system to clean.
            }
        }
    }

    private IWriteAheadLog OpenLog() => Options.UseFileLog
        ? new FileWriteAheadLog(Path.Combine(DataDirectory, "wal"), new WalOptions { Durability = WalDurability.OsBuffered }, Time)
        : new InMemoryWriteAheadLog(Time);

    private async Task StartGenerationAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = DataDirectory, EnvironmentName = "Testing" });
        var settings = new Dictionary<string, string?>(Options.Settings, StringComparer.OrdinalIgnoreCase) { ["Symphainy:DataDirectory"] = DataDirectory };
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        Options.Logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddSingleton<IWriteAheadLog>(_log);
        if (Options.ChatClient is { } chat)
        {
            builder.Services.AddSingleton(chat);
        }

        var planes = new SymphainyBuilder(builder.Services);
        _configure?.Invoke(planes);
        planes.AddRuntime().AddFoundations();
        planes.AddAgents();
        planes.AddSmartCity(Options.Security, Options.Traffic);
        _services?.Invoke(builder.Services);
        FaultInjector.Decorate(builder.Services, Faults);
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        _host = host;
        Generation++;
    }

    private static async Task AbandonAsync(IHost dead)
    {
        // The log is already cut off, so nothing this host still does is recorded: stopping it only releases its threads
        // and timers. The stop is told to give up at once (no drain).
        using var now = new CancellationTokenSource();
        await now.CancelAsync().ConfigureAwait(false);
        try
        {
            await dead.StopAsync(now.Token).WaitAsync(TimeSpan.FromSeconds(30), TimeProvider.System).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or SymphainyException or AggregateException or ObjectDisposedException)
        {
            // A killed host may fail to stop cleanly; nothing of it reaches the log any more.
        }

        try
        {
            dead.Dispose();
        }
        catch (Exception e) when (e is OperationCanceledException or SymphainyException or AggregateException or ObjectDisposedException)
        {
            // Same as above.
        }
    }
}
