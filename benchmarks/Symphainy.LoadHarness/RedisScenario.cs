using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.LoadHarness;

/// <summary>
/// The 3-step saga on a host whose log, hot state and events are on Redis (<c>UseRedis</c>), against a
/// <c>redis-server</c> this scenario starts with <c>appendonly yes</c>, <c>appendfsync always</c>; next to it the same
/// server's own pipelined write rate (<c>redis-benchmark -P 16 -t set</c>), and the round trips the host made per saga.
/// </summary>
internal sealed class RedisScenario : IScenario
{
    private static readonly TenantId Tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private double _roundTripsPerSaga;
    private double _recordsPerSaga;

    public string Name => "redis";

    public string Description => "3-step saga on the Redis provider (log, hot state, events) vs redis-benchmark -P 16 on the same server";

    public IReadOnlyList<Baseline> Baselines { get; } = [];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var directory = WorkDirectory.Fresh(options, "redis");
        var port = FreePort();
        using var server = StartServer(directory, port);
        try
        {
            await WaitForServerAsync(port);
            var rows = new List<ResultRow> { RunRedisBenchmark(port) };
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  measured redis-benchmark -P 16 SET          {rows[0].OpsPerSecond,12:N0} ops/s"));

            await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true");
            using var host = await StartHostAsync(directory, connection, port);
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            var payload = JsonSerializer.SerializeToElement(new SagaScenario.ThreeStepInput("x"));
            long sagas = 0;
            var operationsBefore = 0L;
            var log = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
            var positionBefore = 0L;
            var concurrency = options.Writers.Max();
            var row = await Measurement.RunAsync(Name, "symphainy-redis", concurrency, options.Warmup, options.Duration, async () =>
            {
                if (Interlocked.Increment(ref sagas) == 1)
                {
                    operationsBefore = Operations(connection);
                    positionBefore = log.NextPosition;
                }

                var accepted = await intake.SubmitAsync(new Intent("bench.three_steps", Tenant, payload));
                await engine.WaitForEndAsync(Tenant, accepted.Execution);
                return 0L;
            });

            // Counted over the warm-up and the measurement both (the counter is the connection's): per saga alike.
            _roundTripsPerSaga = (double)(Operations(connection) - operationsBefore) / Interlocked.Read(ref sagas);
            _recordsPerSaga = (double)(log.NextPosition - positionBefore) / Interlocked.Read(ref sagas);
            rows.Add(row);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  measured symphainy-redis                 {row.OpsPerSecond,12:N0} sagas/s p99 {row.P99Micros,9:F0} us, {_roundTripsPerSaga:F2} round trips and {_recordsPerSaga:F1} log records per saga"));
            await host.StopAsync();
            return rows;
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            WorkDirectory.Delete(directory);
        }
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var baseline = rows.Single(r => r.Variant == "redis-benchmark-P16-set");
        var redis = rows.Single(r => r.Variant == "symphainy-redis");
        // Each record is one stream entry in the log and one in its tenant's event stream, written by one script per batch.
        var entries = redis.OpsPerSecond * _recordsPerSaga * 2;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"Redis mode: {redis.OpsPerSecond:N0} sagas/s; per saga {_roundTripsPerSaga:F2} round trips to Redis (appends batched into one script call per round) and {_recordsPerSaga:F1} log records, each also an event: {entries:N0} stream entries/s written = {entries / baseline.OpsPerSecond:P0} of redis-benchmark -P 16 SET on the same server ({baseline.OpsPerSecond:N0}/s)");
        yield return string.Create(CultureInfo.InvariantCulture, $"goal >= 20,000 3-step sagas/s per host process on Redis: {(redis.OpsPerSecond >= 20_000 ? "PASS" : "MISS")} ({redis.OpsPerSecond:N0})");
    }

    private static long Operations(ConnectionMultiplexer connection) => connection.GetCounters().Interactive.OperationCount;

    private static ResultRow RunRedisBenchmark(int port)
    {
        var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-P", "16", "-n", "400000", "-t", "set", "--csv" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-benchmark did not start (Debian package redis-tools).");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        // "test","rps","avg_latency_ms",...  then  "SET","123456.78",...
        var line = output.Split('\n').First(l => l.StartsWith("\"SET\"", StringComparison.Ordinal));
        var rps = double.Parse(line.Split(',')[1].Trim('"'), CultureInfo.InvariantCulture);
        return new ResultRow("redis", "redis-benchmark-P16-set", 50, 400_000, rps, 0, 0, 0, 0);
    }

    private static Process StartServer(string directory, int port)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (Debian package redis-server).");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForServerAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=true,connectTimeout=500");
                return;
            }
            catch (RedisConnectionException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<IHost> StartHostAsync(string directory, IConnectionMultiplexer connection, int port)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Redis:ConnectionString"] = $"127.0.0.1:{port}",
            ["Symphainy:DataDirectory"] = directory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IConnectionMultiplexer>(connection); // the host uses it, so its counters are the host's
        builder.Services.AddSingleton<SagaScenario.TrivialWork>();
        new SymphainyBuilder(builder.Services).AddRuntime().AddCapability<SagaScenario.ThreeSteps>("bench.three_steps", "bench", "three trivial steps").UseRedis();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
