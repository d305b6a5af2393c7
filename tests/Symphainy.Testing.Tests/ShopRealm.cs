using Microsoft.Extensions.DependencyInjection;
using Symphainy.Hosting;
using Symphainy.Agents;
using Symphainy.Realms;
using Symphainy.Sagas;

namespace Symphainy.Testing.Tests;

public sealed record Order(string Item, int Quantity, bool NeedsApproval = false);

public sealed record Receipt(string Reservation, string Charge, string? Approver);

public sealed record Approval(string By);

/// <summary>A small realm with every kind of step: services with compensation, a timer, a signal wait, an agent.</summary>
public sealed class ShopRealm : RealmManager
{
    protected override void Register(RealmCatalog catalog) => catalog
        .Service<Inventory>()
        .Service<Payments>()
        .Agent<OrderExplainer>()
        .Capability<Checkout>("shop.checkout", "Reserves stock, charges, waits for approval when asked, and ships.")
        .Capability<Explain>("shop.explain", "Explains an order, citing facts about it.")
        .Capability<Gated>("shop.gated", "Reserves, packs behind a gate the test opens, ships.");
}

public sealed class Inventory : IRealmService
{
    public string Reserve(Order order) => $"res-{order.Item}-{order.Quantity}";

    public Task Release(string reservation) => Task.CompletedTask;
}

public sealed class Payments : IRealmService
{
    public string Charge(Order order) => order.Quantity <= 0 ? throw new SymphainyException(new ErrorCode("shop.invalid_quantity", ErrorKind.Domain, false, "quantity"), "Quantity must be positive.") : $"chg-{order.Quantity * 10}";

    public Task Refund(string charge) => Task.CompletedTask;
}

public sealed class Checkout : Orchestrator<Order, Receipt>
{
    public override async Task<Receipt> RunAsync(SagaContext saga, Order input)
    {
        var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input), compensate: (s, r) => s.Release(r));
        var charge = await saga.Step("charge", (Payments s) => s.Charge(input), new StepOptions { Retry = RetryPolicy.Default with { InitialBackoff = TimeSpan.FromSeconds(1), Jitter = 0 } }, compensate: (s, c) => s.Refund(c));
        string? approver = null;
        if (input.NeedsApproval)
        {
            approver = (await saga.WaitForSignal<Approval>("approve", TimeSpan.FromHours(1))).By;
        }

        await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
        await saga.Step("ship", (Inventory s) => s.Reserve(input with { Item = "shipped" }));
        return new Receipt(reservation, charge, approver);
    }
}

public sealed record ExplainInput(Order Order);

public sealed record Explanation(IReadOnlyList<Claim> Claims) : IGroundedArtifact;

/// <summary>A deterministic agent: one fact per order field, one claim citing them.</summary>
public sealed class OrderExplainer(Microsoft.Extensions.AI.IChatClient chat) : AgentBase<ExplainInput, Explanation>(chat)
{
    public override string PromptVersion => "order-explainer/1";

    protected override Task<AgentArtifact<Explanation>> RunCoreAsync(AgentContext<ExplainInput> context)
    {
        var facts = new List<Fact> { new("f1", $"item is {context.Input.Order.Item}", "order#item"), new("f2", $"quantity is {context.Input.Order.Quantity}", "order#quantity") };
        return Task.FromResult(AgentArtifact.Create(new Explanation([new Claim($"{context.Input.Order.Quantity} x {context.Input.Order.Item}", ["f1", "f2"])]), "rules", "v1", AgentUsage.None, facts));
    }
}

public sealed class Explain : Orchestrator<Order, string>
{
    public override async Task<string> RunAsync(SagaContext saga, Order input)
    {
        var artifact = await saga.Agent<OrderExplainer, ExplainInput, Explanation>("explain", new ExplainInput(input));
        return artifact.Result.Claims[0].Text;
    }
}

/// <summary>A step that says it started and then waits until the test opens the gate (or the host dies).</summary>
public sealed class Gated : Orchestrator<Order, int>
{
    public static SemaphoreSlim Entered { get; private set; } = new(0);

    public static SemaphoreSlim Open { get; private set; } = new(0);

    private static int _runs;

    public static int Runs => Volatile.Read(ref _runs);

    public static void Reset() => (Entered, Open, _runs) = (new SemaphoreSlim(0), new SemaphoreSlim(0), 0);

    public override async Task<int> RunAsync(SagaContext saga, Order input)
    {
        var reserved = await saga.Step("reserve", (Inventory s) => s.Reserve(input));
        var packed = await saga.Step("pack", async cancellationToken =>
        {
            Interlocked.Increment(ref _runs);
            Entered.Release();
            await Open.WaitAsync(cancellationToken);
            return reserved.Length;
        });
        return await saga.Step("ship", _ => Task.FromResult(packed + 1));
    }
}

/// <summary>The shop's checkout as later code might change it; each replays the recording of <see cref="Checkout"/>.</summary>
public static class ChangedCheckouts
{
    public sealed class Reordered : Orchestrator<Order, Receipt>
    {
        public override async Task<Receipt> RunAsync(SagaContext saga, Order input)
        {
            var charge = await saga.Step("charge", (Payments s) => s.Charge(input));
            var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input));
            await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
            await saga.Step("ship", (Inventory s) => s.Reserve(input with { Item = "shipped" }));
            return new Receipt(reservation, charge, null);
        }
    }

    public sealed class Renamed : Orchestrator<Order, Receipt>
    {
        public override async Task<Receipt> RunAsync(SagaContext saga, Order input)
        {
            var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input));
            var charge = await saga.Step("bill", (Payments s) => s.Charge(input));
            await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
            await saga.Step("ship", (Inventory s) => s.Reserve(input with { Item = "shipped" }));
            return new Receipt(reservation, charge, null);
        }
    }

    public sealed class WithoutShipping : Orchestrator<Order, Receipt>
    {
        public override async Task<Receipt> RunAsync(SagaContext saga, Order input)
        {
            var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input));
            var charge = await saga.Step("charge", (Payments s) => s.Charge(input));
            await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
            return new Receipt(reservation, charge, null);
        }
    }

    public sealed class WithNotification : Orchestrator<Order, Receipt>
    {
        public override async Task<Receipt> RunAsync(SagaContext saga, Order input)
        {
            var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input));
            var charge = await saga.Step("charge", (Payments s) => s.Charge(input));
            await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
            await saga.Step("ship", (Inventory s) => s.Reserve(input with { Item = "shipped" }));
            await saga.Step("notify", _ => Task.FromResult("sent"));
            return new Receipt(reservation, charge, null);
        }
    }

    /// <summary>Registers <typeparamref name="T"/> as the shop's checkout, in place of <see cref="Checkout"/>.</summary>
    public static void Use<T>(ISymphainyBuilder s)
        where T : class => s.AddCapability<T>("shop.checkout", "shop", "Checkout as changed later.")
            .Services.AddSingleton<Inventory>().AddSingleton<Payments>();
}

/// <summary>The saga of the format 1 sample log (samples/QuickStart as it was then), unchanged.</summary>
public sealed record WelcomeInput(string Name);

public sealed class Greeter
{
    public string Normalize(string name) => name.Trim();

    public string Greet(string name) => $"Welcome, {name}!";

    public int Count(string text) => text.Length;
}

public sealed class WelcomeSaga : Orchestrator<WelcomeInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WelcomeInput input)
    {
        var name = await saga.Step("normalize", (Greeter g) => g.Normalize(input.Name));
        var greeting = await saga.Step("greet", (Greeter g) => g.Greet(name));
        var length = await saga.Step("measure", (Greeter g) => g.Count(greeting));
        return $"{greeting} ({length} characters)";
    }

    public static void Register(ISymphainyBuilder s) =>
        s.AddCapability<WelcomeSaga>("demo.welcome", "demo", "Greets a person.").Services.AddSingleton<Greeter>();
}
