namespace Symphainy.Sagas;

/// <summary>
/// A saga written as ordinary async C#. Every <see cref="SagaContext.Step{TService, TResult}(string, Func{TService, Task{TResult}}, StepOptions?, Func{TService, TResult, Task}?)"/>,
/// <c>Agent</c>, <c>Delay</c> and <c>WaitForSignal</c> call is a named, recorded step. After a crash the method
/// runs again from the top: recorded steps return their recorded results without running, and it resumes at
/// the first unrecorded step.
/// </summary>
/// <remarks>
/// Must be deterministic: the same input and the same recorded results must lead to the same calls in the same
/// order. Read time, randomness and the outside world only inside steps. Locals are fine (replay rebuilds them);
/// fields are not.
/// </remarks>
/// <typeparam name="TInput">The saga's input: the intent's payload.</typeparam>
/// <typeparam name="TOutput">The saga's output.</typeparam>
public abstract class Orchestrator<TInput, TOutput>
{
    /// <summary>Runs the saga.</summary>
    /// <param name="saga">Records and replays the steps.</param>
    /// <param name="input">The input.</param>
    /// <returns>The output, recorded when the saga completes.</returns>
    public abstract Task<TOutput> RunAsync(SagaContext saga, TInput input);
}
