using System.Collections.Concurrent;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed record OrderInput(string OrderId, int Quantity);

public sealed record OrderOutput(string OrderId, string Reservation, string Charge, string Shipment);

public sealed record Approval(string By);

/// <summary>What the test realm's services did, in order, across host restarts.</summary>
public sealed class Journal
{
    private readonly ConcurrentQueue<string> _entries = new();

    public void Add(string entry) => _entries.Enqueue(entry);

    public IReadOnlyList<string> Entries => _entries.ToArray();

    public int Count(string prefix) => _entries.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));
}

/// <summary>Makes the payment service fail on demand.</summary>
public sealed class FailureSwitch
{
    private int _transientFailures;

    public int TransientFailures { set => _transientFailures = value; }

    public bool DeclineCharges { get; set; }

    public bool TakeTransientFailure() => Interlocked.Decrement(ref _transientFailures) >= 0;
}

public sealed class Inventory(Journal journal)
{
    public Task<string> Reserve(string orderId, int quantity)
    {
        journal.Add($"reserve {orderId} x{quantity}");
        return Task.FromResult($"res-{orderId}");
    }

    public Task Release(string reservation)
    {
        journal.Add($"release {reservation}");
        return Task.CompletedTask;
    }
}

public sealed class Payments(Journal journal, FailureSwitch failures)
{
    private static readonly ErrorCode Declined = new("payments.declined", ErrorKind.Domain, isRetryable: false, "The card was declined.");

    public Task<string> Charge(string orderId)
    {
        journal.Add($"charge {orderId}");
        if (failures.TakeTransientFailure())
        {
            throw new IOException("payment gateway timed out");
        }

        if (failures.DeclineCharges)
        {
            throw new SymphainyException(Declined, $"The card for {orderId} was declined.");
        }

        return Task.FromResult($"chg-{orderId}");
    }

    public Task Refund(string charge)
    {
        journal.Add($"refund {charge}");
        return Task.CompletedTask;
    }
}

public sealed class Shipping(Journal journal)
{
    public string Ship(string orderId)
    {
        journal.Add($"ship {orderId}");
        return $"shp-{orderId}";
    }
}

/// <summary>Three steps, the first two compensable.</summary>
public sealed class PlaceOrder : Orchestrator<OrderInput, OrderOutput>
{
    public override async Task<OrderOutput> RunAsync(SagaContext saga, OrderInput input)
    {
        var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        var charge = await saga.Step("charge", (Payments s) => s.Charge(input.OrderId), compensate: (s, c) => s.Refund(c));
        var shipment = await saga.Step("ship", (Shipping s) => s.Ship(input.OrderId));
        return new OrderOutput(input.OrderId, reservation, charge, shipment);
    }
}

/// <summary>Reserves, waits for an approval signal (2 days at most), a one-hour timer, then charges.</summary>
public sealed class ApproveOrder : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        var approval = await saga.WaitForSignal<Approval>("approve", timeout: TimeSpan.FromDays(2));
        await saga.Delay("cool-off", TimeSpan.FromHours(1));
        await saga.Step("charge", (Payments s) => s.Charge(input.OrderId), compensate: (s, c) => s.Refund(c));
        return $"v1 approved by {approval.By}";
    }
}

/// <summary>Version 2 of the approval saga: different output, so a test can tell which version ran.</summary>
public sealed class ApproveOrderV2 : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        var approval = await saga.WaitForSignal<Approval>("approve", timeout: TimeSpan.FromDays(2));
        return $"v2 approved by {approval.By}";
    }
}

/// <summary>Same name as <see cref="ApproveOrder"/>, different first step: replaying v1's record with it is non-deterministic.</summary>
public sealed class ApproveOrderChanged : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        await saga.Step("reserve-everything", (Inventory s) => s.Reserve(input.OrderId, input.Quantity * 2));
        return "changed";
    }
}

/// <summary>Same name as <see cref="ApproveOrder"/>, its wait for approval removed: it returns before a step v1 recorded.</summary>
public sealed class ApproveOrderShortened : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        return "approved without asking";
    }
}

/// <summary>Reserves, waits on a one-hour timer, then ships.</summary>
public sealed class ReserveThenCoolOff : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        var reservation = await saga.Step("reserve", (Inventory s) => s.Reserve(input.OrderId, input.Quantity), compensate: (s, r) => s.Release(r));
        await saga.Delay("cool-off", TimeSpan.FromHours(1));
        await saga.Step("ship", (Shipping s) => s.Ship(input.OrderId));
        return reservation;
    }
}

/// <summary>Ships (nothing to compensate), then waits for an approval signal for a day at most.</summary>
public sealed class ShipThenAwaitApproval : Orchestrator<OrderInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, OrderInput input)
    {
        var shipment = await saga.Step("ship", (Shipping s) => s.Ship(input.OrderId));
        var approval = await saga.WaitForSignal<Approval>("approve", timeout: TimeSpan.FromDays(1));
        return $"{shipment} approved by {approval.By}";
    }
}
