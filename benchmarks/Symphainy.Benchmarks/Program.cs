// BenchmarkDotNet micro-benchmarks. Release only, alone on the machine:
//   dotnet run -c Release --project benchmarks/Symphainy.Benchmarks -- --filter '*'
// The default job is short so it is usable on a 2-core machine; add --job medium (or long) for a careful run.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddJob(Job.ShortRun.WithId("short"));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
