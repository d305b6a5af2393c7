using Symphainy.Sagas;

namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>
/// What a simulated intent asks for: a number of steps (each one's work may take simulated time, fail transiently or
/// for good, and be compensated), optionally a durable timer, a wait for a signal (with or without a timeout), and a
/// last step whose result is too large to record.
/// </summary>
public sealed record FlowInput(int Steps, int NapAfter, int NapMs, bool Wait, int WaitTimeoutMs, bool Compensate, int BigBytes);

/// <summary>A step's result: a value derived from the saga and the step alone, so a recorded result can be checked.</summary>
public sealed record StepValue(long Value);

/// <summary>The saga's output: the sum of its steps' values and the signal's value.</summary>
public sealed record FlowOutput(long Sum);

/// <summary>The orchestrator of the simulation's only capability, <c>sim.flow</c>; deterministic, state in locals.</summary>
public sealed class SimFlow : Orchestrator<FlowInput, FlowOutput>
{
    private static readonly StepOptions Retry = new() { Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromSeconds(1) } };

    public override async Task<FlowOutput> RunAsync(SagaContext saga, FlowInput input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        long sum = 0;
        for (var i = 0; i < input.Steps; i++)
        {
            var index = i;
            var value = await saga.Step<SimWork, StepValue>(
                $"step-{index}",
                work => work.RunAsync(saga.Tenant, saga.SagaId, index, saga.CancellationToken),
                Retry,
                input.Compensate ? (work, done) => work.UndoAsync(saga.SagaId, index) : null);
            sum += value.Value;
            if (index == input.NapAfter && input.NapMs > 0)
            {
                await saga.Delay("nap", TimeSpan.FromMilliseconds(input.NapMs));
            }
        }

        if (input.Wait)
        {
            sum += await saga.WaitForSignal<long>("go", input.WaitTimeoutMs > 0 ? TimeSpan.FromMilliseconds(input.WaitTimeoutMs) : null);
        }

        if (input.BigBytes > 0)
        {
            var big = await saga.Step<SimWork, string>("big", work => work.Big(input.BigBytes), new StepOptions { Retry = RetryPolicy.None });
            sum += big.Length;
        }

        return new FlowOutput(sum);
    }
}

/// <summary>
/// The realm service the steps call. Its work waits for the simulator (simulated time passing inside a step, where the
/// process may crash, the host stop or the saga be cancelled), and fails as the seed decides: transiently (a retryable
/// platform error) or for good (a domain error). Every run is reported to the simulation, so it can tell a recorded
/// result from one no step produced.
/// </summary>
public sealed class SimWork
{
    private readonly SimWorld _world;

    internal SimWork(SimWorld world) => _world = world;

    /// <summary>The value step <paramref name="index"/> of a saga produces, every time it runs.</summary>
    public static long ValueOf(SagaId saga, int index) => (long)((uint)saga.Value.GetHashCode() % 1000) * 100 + index;

    public async Task<StepValue> RunAsync(TenantId tenant, SagaId saga, int index, CancellationToken cancellationToken)
    {
        _world.Checker.OnStepRun(saga, index);
        await _world.WorkAsync(cancellationToken);
        switch (_world.StepFault())
        {
            case SimFault.StepFailsTransiently:
                throw new SymphainyException(SimHotStore.Unavailable, $"Simulated transient failure of step {index}.");
            case SimFault.StepFailsForGood:
                throw new SymphainyException(Rejected, $"Simulated refusal of step {index}.");
        }

        return new StepValue(ValueOf(saga, index));
    }

    public Task UndoAsync(SagaId saga, int index)
    {
        _world.Checker.OnCompensationRun(saga, index);
        return Task.CompletedTask;
    }

    public string Big(int bytes) => new('x', bytes);

    internal static readonly ErrorCode Rejected = new("sim.step_rejected", ErrorKind.Domain, false, "The simulated step refused its input.");
}
