// BenchmarkDotNet micro-benchmarks. Release only, alone on the machine, from the repository root:
//   dotnet run -c Release --project benchmarks/Symphainy.Benchmarks -- --filter '*'
// Without --job the job is short (ShortRun: 1 launch, 3 warm-up and 3 measured iterations) so a run fits a
// 2-core machine; pass --job medium (or long) for a careful run. The short job is added only when no --job is
// given because BenchmarkDotNet would otherwise run both jobs, or, were it marked AsDefault(), ignore --job.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

IConfig config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
if (!args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal)))
{
    config = config.AddJob(Job.ShortRun.WithId("short"));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
