using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.SmartCity.Tests;

/// <summary>A started host with the Smart City services on the in-memory defaults, and the log lines it wrote.</summary>
public sealed class SmartCityHost : IAsyncDisposable
{
    private readonly IHost _host;

    private SmartCityHost(IHost host, ConcurrentQueue<string> logs) => (_host, Logs) = (host, logs);

    public IServiceProvider Services => _host.Services;

    public ConcurrentQueue<string> Logs { get; }

    public IIntentIntake Intake => Services.GetRequiredService<IIntentIntake>();

    public static async Task<SmartCityHost> StartAsync(Dictionary<string, string?>? settings = null, Action<SecurityGuardOptions>? security = null, Action<TrafficCopOptions>? traffic = null, string? dataDirectory = null, Action<IServiceCollection>? services = null, Action<ISymphainyBuilder>? symphainy = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = dataDirectory ?? AppContext.BaseDirectory });
        var configuration = new Dictionary<string, string?>(settings ?? []);
        if (dataDirectory is null)
        {
            configuration["Symphainy:Wal:Provider"] = "InMemory";
        }
        else
        {
            configuration["Symphainy:DataDirectory"] = dataDirectory;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        var logs = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new Capture(logs));
        var planes = new SymphainyBuilder(builder.Services);
        planes
            .AddRuntime()
            .AddCapability<Echo>("orders.place", "orders", "places an order")
            .AddCapability<Echo>("orders.refund", "orders", "refunds an order")
            .AddCapability<Gated>("orders.ship", "orders", "ships an order once let through")
            .AddCapability<Charging>("orders.charge", "orders", "charges a card, logging what it does")
            .AddCapability<Settling>("orders.settle", "orders", "settles with a gateway that fails at first")
            .AddCapability<TwoPhase>("orders.two_phase", "orders", "waits at a gate between two steps")
            .AddSmartCity(security, traffic);
        symphainy?.Invoke(planes);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new SmartCityHost(host, logs);
    }

    public Task<IntentAcceptance> SubmitAsync(string type, TenantId tenant, SymphainyPrincipal? principal)
    {
        using var scope = principal is null ? null : SymphainyPrincipal.Use(principal);
        return Intake.SubmitAsync(new Intent(type, tenant, JsonSerializer.SerializeToElement(new Order(7)))).AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    public sealed record Order(int Id);

    public sealed class Echo : Orchestrator<Order, int>
    {
        public override Task<int> RunAsync(SagaContext saga, Order input) => saga.Step("echo", _ => Task.FromResult(input.Id));
    }

    public sealed record Charge(string CardNumber, string Email, int Amount);

    /// <summary>Logs the way careless step code does: structured values, raw JSON, and an exception that quotes the card.</summary>
    public sealed class Charging : Orchestrator<Charge, int>
    {
        public override async Task<int> RunAsync(SagaContext saga, Charge input)
        {
            await saga.Step("log", (ILogger<Charging> log) =>
            {
                log.LogInformation("Charging card {CardNumber} of {Email} for {Amount}", input.CardNumber, input.Email, input.Amount);
                log.LogInformation("Request: {Request}", JsonSerializer.Serialize(input));
                log.LogWarning(new InvalidOperationException($"declined: cardNumber={input.CardNumber}"), "The gateway said no for amount {Amount}", input.Amount);
                return input.Amount;
            });
            return await saga.Step<int>("fail", _ => throw new InvalidOperationException($"Gateway rejected {{\"cardNumber\": \"{input.CardNumber}\"}}"), new StepOptions { Retry = RetryPolicy.None });
        }
    }

    /// <summary>Settles with a gateway that fails while <see cref="FailuresLeft"/> is above zero; parks instead of failing.</summary>
    public sealed class Settling : Orchestrator<Order, int>
    {
        private static int _failuresLeft;

        public static int FailuresLeft
        {
            get => Volatile.Read(ref _failuresLeft);
            set => Volatile.Write(ref _failuresLeft, value);
        }

        public override async Task<int> RunAsync(SagaContext saga, Order input)
        {
            var packed = await saga.Step("pack", _ => Task.FromResult(input.Id));
            return await saga.StepOrPark("settle", _ => Interlocked.Decrement(ref _failuresLeft) >= 0
                ? throw new InvalidOperationException("gateway unavailable")
                : Task.FromResult(packed * 10), new StepOptions { Retry = RetryPolicy.None });
        }
    }

    /// <summary>A first step that waits at a gate, then a second one.</summary>
    public sealed class TwoPhase : Orchestrator<Order, int>
    {
        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static void Reset() => (Entered, Open) = (new SemaphoreSlim(0), new SemaphoreSlim(0));

        public override async Task<int> RunAsync(SagaContext saga, Order input)
        {
            var first = await saga.Step("first", async cancellationToken =>
            {
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return input.Id;
            });
            return await saga.Step("second", _ => Task.FromResult(first + 1));
        }
    }

    /// <summary>A step that says it started, then waits until the test opens the gate.</summary>
    public sealed class Gated : Orchestrator<Order, int>
    {
        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static void Reset() => (Entered, Open) = (new SemaphoreSlim(0), new SemaphoreSlim(0));

        public override async Task<int> RunAsync(SagaContext saga, Order input)
        {
            var packed = await saga.Step("pack", _ => Task.FromResult(input.Id));
            return await saga.Step("ship", async cancellationToken =>
            {
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return packed;
            });
        }
    }

    private sealed class Capture(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : $" | {exception}")}");
        }
    }
}
