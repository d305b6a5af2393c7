using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.Benchmarks;

/// <summary>
/// The end-to-end cost of one saga of three trivial steps on a started host with the in-memory write-ahead log:
/// submit the intent, await <see cref="ISagaEngine.WaitForEndAsync"/> (intake, five log records, events, the
/// worker pool); vs the baseline of awaiting the same three steps directly.
/// </summary>
[MemoryDiagnoser]
public class SagaStepDispatchBenchmarks
{
    private IHost? _host;
    private IIntentIntake? _intake;
    private ISagaEngine? _engine;
    private Intent? _intent;

    /// <summary>Starts a host with the saga.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = BenchmarkHost.Build();
        await _host.StartAsync();
        _intake = _host.Services.GetRequiredService<IIntentIntake>();
        _engine = _host.Services.GetRequiredService<ISagaEngine>();
        var tenant = _host.Services.GetRequiredService<IdGenerator>().Next<TenantId>();
        _intent = new Intent(ThreeStepSaga.Name, tenant, JsonSerializer.SerializeToElement(new { n = 1 }));
        if (await SymphainySaga() != 7)
        {
            throw new InvalidOperationException("The saga did not complete with the expected output.");
        }
    }

    /// <summary>Stops the host.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host!.StopAsync();
        _host.Dispose();
    }

    /// <summary>Baseline: the three steps awaited one after the other.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> DirectSteps()
    {
        var one = await TrivialSteps.OneAsync(CancellationToken.None);
        var two = await TrivialSteps.TwoAsync(CancellationToken.None);
        var three = await TrivialSteps.ThreeAsync(CancellationToken.None);
        return 1 + one + two + three;
    }

    /// <summary>Submit the intent and wait for the saga to end.</summary>
    [Benchmark]
    public async Task<int> SymphainySaga()
    {
        var acceptance = await _intake!.SubmitAsync(_intent!);
        var end = await _engine!.WaitForEndAsync(_intent!.Tenant, acceptance.Execution);
        return end.State == SagaState.Completed ? end.Output!.Value.GetInt32() : -1;
    }
}
