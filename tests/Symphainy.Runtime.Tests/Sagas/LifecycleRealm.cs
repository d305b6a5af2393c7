using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed record WorkInput(string Key, int Size = 0);

/// <summary>A service whose every call yields first, so a host stopped under load finds steps in flight.</summary>
public sealed class SlowWork(Journal journal)
{
    public async Task<string> Do(string key, string step)
    {
        await Task.Yield();
        journal.Add($"{step} {key}");
        return $"{step}:{key}";
    }

    public string Big(int size) => new('x', size);
}

/// <summary>Three yielding steps, each resolving its service from the host's container.</summary>
public sealed class ThreeSlowSteps : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var a = await saga.Step("one", (SlowWork w) => w.Do(input.Key, "one"));
        var b = await saga.Step("two", (SlowWork w) => w.Do(input.Key, "two"));
        var c = await saga.Step("three", (SlowWork w) => w.Do(input.Key, "three"));
        return $"{a} {b} {c}";
    }
}

/// <summary>Reserves (compensable), then returns a result of <see cref="WorkInput.Size"/> characters from a step.</summary>
public sealed class BigStepResult : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        await saga.Step("reserve", (Inventory i) => i.Reserve(input.Key, 1), compensate: (Inventory i, string r) => i.Release(r));
        var big = await saga.Step("big", (SlowWork w) => w.Big(input.Size));
        return big.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Completes with an output of <see cref="WorkInput.Size"/> characters.</summary>
public sealed class BigOutput : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        await saga.Step("reserve", (Inventory i) => i.Reserve(input.Key, 1), compensate: (Inventory i, string r) => i.Release(r));
        return new string('y', input.Size);
    }
}
