namespace Symphainy.Realms.Analyzers.Tests;

public sealed class OrchestratorDeterminismAnalyzerTests
{
    [Fact]
    public Task SYMR006_clock_ids_randomness_io_sleeps_and_side_work_outside_a_step_are_flagged() => Verify<OrchestratorDeterminismAnalyzer>.Diagnostics("""
        public sealed class Flow(TimeProvider time) : Orchestrator<string, string>
        {
            public override async Task<string> RunAsync(SagaContext saga, string input)
            {
                var now = {|SYMR006:DateTime.UtcNow|};
                var offset = {|SYMR006:DateTimeOffset.Now|};
                var clock = {|SYMR006:time.GetUtcNow()|};
                var system = {|SYMR006:TimeProvider.System|}.GetUtcNow();
                var id = {|SYMR006:Guid.NewGuid()|};
                var dice = {|SYMR006:Random.Shared|}.Next(6);
                var random = {|SYMR006:new Random()|};
                var ticks = {|SYMR006:Environment.TickCount64|};
                var watch = {|SYMR006:System.Diagnostics.Stopwatch.StartNew()|};
                var text = {|SYMR006:System.IO.File.ReadAllText("input.txt")|};
                await {|SYMR006:Task.Delay(TimeSpan.FromSeconds(1))|};
                {|SYMR006:Thread.Sleep(10)|};
                await {|SYMR006:Task.Run(() => input.Length)|};
                return Describe(input);
            }

            private static string Describe(string input) => input + {|SYMR006:DateTime.Today|};
        }
        """);

    [Fact]
    public Task SYMR006_the_same_calls_inside_steps_agents_StepOrPark_and_outside_orchestrators_are_not_flagged() => Verify<OrchestratorDeterminismAnalyzer>.Diagnostics("""
        using Symphainy.SmartCity;

        public sealed class Clock : IRealmService
        {
            public DateTime Now() => DateTime.UtcNow;
        }

        public sealed class Flow(TimeProvider time) : Orchestrator<string, string>
        {
            public override async Task<string> RunAsync(SagaContext saga, string input)
            {
                var now = await saga.Step("now", ct => Task.FromResult(DateTime.UtcNow));
                var clock = await saga.Step("clock", (Clock c) => c.Now());
                var id = await saga.Step("id", _ => Task.FromResult(Guid.NewGuid()));
                var text = await saga.Step("read", async ct =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(1), time, ct);
                    return await System.IO.File.ReadAllTextAsync("input.txt", ct);
                });
                var parked = await saga.StepOrPark("dice", _ => Task.FromResult(Random.Shared.Next(6)));
                var seeded = new Random(42).Next(6);
                await saga.Delay("cool-off", TimeSpan.FromMinutes(5));
                return $"{now}{clock}{id}{text}{parked}{seeded}";
            }
        }
        """);
}
