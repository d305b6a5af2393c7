// The reliability suite's child process. It prints "READY" once its host started (recovery done), then
// "ACK <saga> <type> <position>" for every intent whose SubmitAsync returned, "ERR <code> <retryable>" for every
// typed refusal and "UNTYPED <exception>" for anything else, until it is killed (SIGKILL) or, in "finish" mode,
// until every saga it knows ended ("DONE").
// Usage:
//   file <data-directory> <run> <seed> <pause-ms>        mixed sagas on the file log and the SQLite state graph
//   fill <data-directory> <run> <seed>                   plain sagas with large payloads as fast as it can (a full disk)
//   finish <data-directory>                              recovers, runs what is unfinished to its end, stops cleanly
//   redis <connection> <prefix> <name> <tenant> <seed> <pause-ms> <submit:0|1>   mixed sagas on a shared Redis
using System.Globalization;
using Symphainy;
using Symphainy.Reliability.Workload;

var invariant = CultureInfo.InvariantCulture;
try
{
    switch (args.FirstOrDefault())
    {
        case "file" when args.Length == 5:
            await WorkloadHost.RunFileAsync(args[1], int.Parse(args[2], invariant), int.Parse(args[3], invariant), int.Parse(args[4], invariant), largePayloads: false);
            return 0;
        case "fill" when args.Length == 4:
            await WorkloadHost.RunFileAsync(args[1], int.Parse(args[2], invariant), int.Parse(args[3], invariant), 0, largePayloads: true);
            return 0;
        case "finish" when args.Length == 2:
            return await WorkloadHost.FinishAsync(args[1]);
        case "redis" when args.Length == 8:
            await WorkloadHost.RunRedisAsync(args[1], args[2], args[3], TenantId.Parse(args[4]), int.Parse(args[5], invariant), int.Parse(args[6], invariant), args[7] == "1");
            return 0;
        default:
            await Console.Error.WriteLineAsync("usage: see the head of Program.cs");
            return 2;
    }
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync("FATAL " + e);
    return 1;
}
