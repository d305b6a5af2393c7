using System.Globalization;
using Symphainy.CrashHost;

// Usage: Symphainy.CrashHost wal <directory> <writers> <run> | sagas <data-directory> <run>
switch (args.FirstOrDefault())
{
    case "wal" when args.Length == 4:
        await WalWorkload.RunAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
        return 0;
    case "sagas" when args.Length == 3:
        await SagaWorkload.RunAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    default:
        await Console.Error.WriteLineAsync("usage: Symphainy.CrashHost wal <directory> <writers> <run> | sagas <data-directory> <run>");
        return 2;
}
