using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>A real host with the Runtime, a fake clock and test realms; restartable over the same data directory.</summary>
internal sealed class SagaTestHost : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly IHost _host;

    private SagaTestHost(IHost host, FakeTimeProvider time, TenantId tenant)
    {
        _host = host;
        Time = time;
        Tenant = tenant;
    }

    public FakeTimeProvider Time { get; }

    public TenantId Tenant { get; }

    public IServiceProvider Services => _host.Services;

    public IIntentIntake Intake => Services.GetRequiredService<IIntentIntake>();

    public ISagaEngine Engine => Services.GetRequiredService<ISagaEngine>();

    public IWriteAheadLog Wal => Services.GetRequiredService<IWriteAheadLog>();

    public static async Task<SagaTestHost> StartAsync(
        Action<ISymphainyBuilder> configure,
        Journal journal,
        string? dataDirectory = null,
        FakeTimeProvider? time = null,
        TenantId? tenant = null,
        Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        time ??= new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory ?? AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Wal:Provider"] = dataDirectory is null ? "InMemory" : "File",
            ["Symphainy:DataDirectory"] = dataDirectory ?? "unused",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton(journal);
        builder.Services.AddSingleton<FailureSwitch>();
        builder.Services.AddSingleton<Inventory>();
        builder.Services.AddSingleton<Payments>();
        builder.Services.AddSingleton<Shipping>();
        services?.Invoke(builder.Services);
        var symphainy = new SymphainyBuilder(builder.Services).AddRuntime();
        configure(symphainy);
        var host = builder.Build();
        await host.StartAsync();
        return new SagaTestHost(host, time, tenant ?? new IdGenerator(time, new SeededRandomSource(99)).Next<TenantId>());
    }

    public ValueTask<IntentAcceptance> SubmitAsync(string type, object payload, string? idempotencyKey = null, int? version = null, TenantId? tenant = null) =>
        Intake.SubmitAsync(new Intent(type, tenant ?? Tenant, JsonSerializer.SerializeToElement(payload, Web), IdempotencyKey: idempotencyKey, Version: version));

    public Task<SagaSnapshot> CompletionAsync(SagaId saga) => Engine.WaitForEndAsync(Tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>
    /// Waits until the engine is idle (no saga can move without the clock, a signal or a submission, and every event
    /// is published), bounded in real time; the fake clock does not move.
    /// </summary>
    public Task IdleAsync() => Engine.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Once the engine is idle, the saga is in <paramref name="state"/>.</summary>
    public async Task<SagaSnapshot> WaitForStateAsync(SagaId saga, SagaState state)
    {
        await IdleAsync();
        var snapshot = await Engine.GetAsync(Tenant, saga);
        snapshot.Should().NotBeNull();
        snapshot!.State.Should().Be(state, "that is where the saga rests once the engine is idle ({0})", snapshot);
        return snapshot;
    }

    /// <summary>Once the engine is idle, the log holds <paramref name="count"/> records of <paramref name="kind"/> for the saga.</summary>
    public async Task WaitForRecordsAsync(SagaId saga, WalRecordKind kind, int count)
    {
        await IdleAsync();
        (await RecordsAsync(saga)).Count(r => r.Kind == kind).Should().Be(count, "the saga recorded that many {0} records when the engine went idle", kind);
    }

    public async Task<List<WalRecord>> RecordsAsync(SagaId saga)
    {
        var records = new List<WalRecord>();
        await foreach (var record in Wal.ReadAsync(Wal.FirstPosition))
        {
            if (record.Saga == saga)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Stops the host (as the application's shutdown does) without disposing it.</summary>
    public Task StopAsync() => _host.StopAsync();

    /// <summary>Disposes the host without stopping it first, as a crashing or careless host does.</summary>
    public ValueTask DisposeWithoutStopAsync() => ((IAsyncDisposable)_host).DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
