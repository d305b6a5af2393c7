using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Benchmarks;

/// <summary>The input of <see cref="ThreeStepSaga"/>.</summary>
/// <param name="N">Added to the output.</param>
public sealed record TrivialInput(int N);

/// <summary>Three trivial asynchronous steps: the saga-engine overhead with (almost) no work in it.</summary>
public sealed class ThreeStepSaga : Orchestrator<TrivialInput, int>
{
    /// <summary>The saga's (and intent type's) name.</summary>
    public const string Name = "bench.three_steps";

    /// <inheritdoc/>
    public override async Task<int> RunAsync(SagaContext saga, TrivialInput input)
    {
        ArgumentNullException.ThrowIfNull(saga);
        ArgumentNullException.ThrowIfNull(input);
        var one = await saga.Step<int>("one", TrivialSteps.OneAsync);
        var two = await saga.Step<int>("two", TrivialSteps.TwoAsync);
        var three = await saga.Step<int>("three", TrivialSteps.ThreeAsync);
        return input.N + one + two + three;
    }
}

/// <summary>The steps of <see cref="ThreeStepSaga"/>, also awaited directly by the baselines.</summary>
public static class TrivialSteps
{
    /// <summary>Yields once, returns 1.</summary>
    public static async Task<int> OneAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        return 1;
    }

    /// <summary>Yields once, returns 2.</summary>
    public static async Task<int> TwoAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        return 2;
    }

    /// <summary>Yields once, returns 3.</summary>
    public static async Task<int> ThreeAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        return 3;
    }
}

/// <summary>Builds a host with the Runtime and <see cref="ThreeStepSaga"/>, as the saga tests do, without logging.</summary>
public static class BenchmarkHost
{
    /// <summary>Builds (not starts) the host; with <paramref name="wal"/>, over that log instead of a new in-memory one.</summary>
    public static IHost Build(IWriteAheadLog? wal = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Wal:Provider"] = "InMemory",
            ["Symphainy:DataDirectory"] = "unused",
        });
        builder.Logging.ClearProviders();
        if (wal is not null)
        {
            builder.Services.AddSingleton(wal);
        }

        new SymphainyBuilder(builder.Services).AddRuntime().AddCapability<ThreeStepSaga>(ThreeStepSaga.Name, "bench", "three trivial steps");
        return builder.Build();
    }
}
