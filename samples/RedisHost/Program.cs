// RedisHost: the same platform with its write-ahead log, hot state and execution events on Redis, so other
// processes see them. It follows a tenant's events the way another process would (the Redis event bus), submits an
// intent with an idempotency key in a session, and prints what happened.
// Run it with: samples/RedisHost/run.sh   (starts a throwaway redis-server with appendfsync always, then this)
//          or: Symphainy__Redis__ConnectionString=localhost:6379 dotnet run --project samples/RedisHost
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using RedisHost;
using Symphainy;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSymphainyJsonConsole();
builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.AddSingleton<Inventory>();

// The embedded defaults, then Redis for the log, hot state and events (Symphainy:Redis:ConnectionString).
builder.Services.AddSymphainy(symphainy => symphainy
    .AddCapability<ReserveStock>("shop.reserve", "shop", "Reserves stock for an order in two recorded steps.")
    .UseRedis());

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"Write-ahead log: {host.Services.GetRequiredService<IWriteAheadLog>().GetType().Name}");
Console.WriteLine($"Hot state:       {host.Services.GetRequiredService<IHotStateStore>().GetType().Name}");
Console.WriteLine($"Event bus:       {host.Services.GetRequiredService<IExecutionEventBus>().GetType().Name}");

var tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f71");
using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

// Follow the tenant's executions as another process would: the stream lives in Redis.
var bus = host.Services.GetRequiredService<IExecutionEventBus>();
await using var events = bus.SubscribeAsync(tenant, cancellationToken: timeout.Token).GetAsyncEnumerator(timeout.Token);
var next = events.MoveNextAsync(); // attached from here on

var session = await host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(tenant, TimeSpan.FromMinutes(10));
var intake = host.Services.GetRequiredService<IIntentIntake>();
var order = JsonSerializer.SerializeToElement(new { sku = "tea-earl-grey", quantity = 3 });
var key = $"order-{Guid.CreateVersion7():N}";
var accepted = await intake.SubmitAsync(new Intent("shop.reserve", tenant, order, session.Id, key));
var again = await intake.SubmitAsync(new Intent("shop.reserve", tenant, order, session.Id, key));
Console.WriteLine($"Accepted execution {accepted.Execution}; the same idempotency key again is a duplicate: {again.Duplicate} ({again.Execution})");

while (await next)
{
    var e = events.Current;
    if (e.Saga == accepted.Execution)
    {
        Console.WriteLine($"  #{e.Position,-6} {e.Kind,-15} {e.Step}");
        if (e.Kind is ExecutionEventKind.SagaCompleted or ExecutionEventKind.SagaFailed)
        {
            break;
        }
    }

    next = events.MoveNextAsync();
}

var end = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(tenant, accepted.Execution);
Console.WriteLine($"Saga {end.State}: {end.Output}");
await host.StopAsync();
return end.State == SagaState.Completed ? 0 : 1;

namespace RedisHost
{
    /// <summary>Reserves stock; any service a step asks for comes from the host's container.</summary>
    public sealed class Inventory
    {
        public string Reserve(string sku, int quantity) => $"reserved {quantity} x {sku}";
    }

    public sealed record Order(string Sku, int Quantity);

    /// <summary>Two recorded steps; after a crash it resumes after the last one recorded.</summary>
    public sealed class ReserveStock : Orchestrator<Order, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Order input)
        {
            var checkedSku = await saga.Step("check", _ => Task.FromResult(input.Sku.Trim().ToLowerInvariant()));
            return await saga.Step("reserve", (Inventory inventory) => inventory.Reserve(checkedSku, input.Quantity));
        }
    }
}
