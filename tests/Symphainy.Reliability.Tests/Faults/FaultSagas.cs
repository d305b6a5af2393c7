using Symphainy.Sagas;

namespace Symphainy.Reliability.Tests.Faults;

/// <summary>The sagas the in-process fault tests run: three plain steps, and a durable timer between two steps.</summary>
public static class FaultSagas
{
    public const string Steps = "faults.steps";
    public const string Timer = "faults.timer";

    public sealed record Input(string Key);

    public sealed class Work
    {
        public string Do(string key, int step) => $"{key}:{step}";
    }

    public sealed class StepsSaga : Orchestrator<Input, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Input input)
        {
            var a = await saga.Step("one", (Work w) => w.Do(input.Key, 1));
            var b = await saga.Step("two", (Work w) => w.Do(a, 2));
            return await saga.Step("three", (Work w) => w.Do(b, 3));
        }
    }

    public sealed class TimerSaga : Orchestrator<Input, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Input input)
        {
            var a = await saga.Step("one", (Work w) => w.Do(input.Key, 1));
            await saga.Delay("pause", TimeSpan.FromMilliseconds(100));
            return await saga.Step("two", (Work w) => w.Do(a, 2));
        }
    }
}
