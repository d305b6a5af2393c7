using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Symphainy.Reliability.Tests.BadInput;
using Symphainy.Reliability.Tests.Isolation;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Soak;

/// <summary>
/// A soak on the embedded durable defaults (file log, SQLite graph) behind the real server: several tenants submit
/// intents at a sustained rate (notes, agent explanations, approvals signalled a moment later, some in sessions,
/// some with idempotency keys), read executions and events, and open and close WebSockets, while each tenant
/// follows its stream. Working set, managed heap, open file descriptors and threads are sampled every few seconds
/// and printed; after the warm-up and at the end the heap is measured after a full collection. A leak shows as a heap
/// that keeps growing or descriptors and threads that do not come back.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    private const int Tenants = 3;

    [Fact]
    public async Task A_sustained_load_keeps_memory_handles_and_threads_bounded()
    {
        var duration = TimeSpan.FromSeconds(ReliabilitySuite.Budget(60, 600));
        var warmUp = TimeSpan.FromSeconds(ReliabilitySuite.Budget(15, 60));
        const int TicksPerSecond = 10;
        const int IntentsPerTick = 3; // 30 intents a second, plus reads, signals, sessions and sockets

        var data = Directory.CreateTempSubdirectory("symphainy-soak-");
        try
        {
            await using var host = await ApiHost.StartAsync(new ApiHostOptions
            {
                Tenants = Tenants,
                DataDirectory = data.FullName,
                Settings = new()
                {
                    // What is kept in memory is bounded by settings; a soak checks that the bounds hold.
                    ["Symphainy:Sagas:EndedSagasKept"] = "500",
                    ["Symphainy:Intake:IdempotencyWindow"] = "00:00:20",
                    ["Symphainy:Sessions:DefaultTtl"] = "00:00:20",
                    ["Symphainy:Sessions:EndedRetention"] = "00:00:10",
                },
            });
            var clients = host.Accounts.Select(host.Client).ToArray();
            var load = new Load();
            using var stop = new CancellationTokenSource();
            var followers = host.Accounts.Select(a => FollowAsync(host, a, load, stop.Token)).ToArray();

            var samples = new List<Sample>();
            var started = Stopwatch.StartNew();
            Sample? warm = null;
            var nextSample = TimeSpan.Zero;
            var pendingApprovals = new Queue<(int Tenant, string Execution)>();
            using var ticker = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / TicksPerSecond));
            var tick = 0L;
            while (started.Elapsed < duration && await ticker.WaitForNextTickAsync())
            {
                tick++;
                var work = new List<Task>();
                for (var i = 0; i < IntentsPerTick; i++)
                {
                    var tenant = (int)((tick * IntentsPerTick + i) % Tenants);
                    work.Add(SubmitAsync(clients[tenant], tenant, tick, i, load, pendingApprovals));
                }

                // Approvals are signalled on a later tick, so they wait a moment and then finish.
                while (pendingApprovals.TryPeek(out var approval) && pendingApprovals.Count > 5)
                {
                    pendingApprovals.Dequeue();
                    work.Add(load.RunAsync("signal", () => clients[approval.Tenant].PostAsync($"/v1/executions/{approval.Execution}/signals/approve", ApiHost.Json(new { approved = true, by = "soak" })),
                        HttpStatusCode.Accepted));
                }

                if (tick % 5 == 0 && load.LastExecution is { } last)
                {
                    work.Add(load.RunAsync("read", () => clients[last.Tenant].GetAsync($"/v1/executions/{last.Execution}"), HttpStatusCode.OK));
                }

                if (tick % 20 == 0 && load.LastExecution is { } read)
                {
                    work.Add(load.RunAsync("events", () => clients[read.Tenant].GetAsync($"/v1/executions/{read.Execution}/events"), HttpStatusCode.OK));
                }

                if (tick % 10 == 0)
                {
                    work.Add(SessionAsync(clients[(int)(tick / 10 % Tenants)], load));
                    work.Add(ShortSocketAsync(host, host.Accounts[(int)(tick / 10 % Tenants)], load));
                }

                await Task.WhenAll(work);

                if (started.Elapsed >= nextSample)
                {
                    var sample = Sample.Take(started.Elapsed, load.Operations, collect: false);
                    samples.Add(sample);
                    nextSample += TimeSpan.FromSeconds(5);
                    if (warm is null && started.Elapsed >= warmUp)
                    {
                        warm = Sample.Take(started.Elapsed, load.Operations, collect: true);
                        output.WriteLine($"after warm-up: {warm}");
                    }
                }
            }

            // Let what was accepted finish, then measure.
            foreach (var (tenant, execution) in pendingApprovals)
            {
                await load.RunAsync("signal", () => clients[tenant].PostAsync($"/v1/executions/{execution}/signals/approve", ApiHost.Json(new { approved = true, by = "soak" })), HttpStatusCode.Accepted);
            }

            await host.Engine.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(followers);
            foreach (var client in clients)
            {
                client.Dispose();
            }

            await Task.Delay(TimeSpan.FromSeconds(2)); // sockets closing, timers of the closed connections firing
            var end = Sample.Take(started.Elapsed, load.Operations, collect: true);
            warm ??= samples[0];

            output.WriteLine("seconds  ops  working-set-MiB  heap-MiB  fds  threads");
            foreach (var sample in samples)
            {
                output.WriteLine(sample.ToString());
            }

            output.WriteLine($"end (after a full collection): {end}");
            var heapGrowth = (double)end.Heap / warm.Heap;
            var maxWorkingSet = samples.Max(s => s.WorkingSet);
            output.WriteLine($"{load.Operations} operations ({load.Summary()}), {load.EventsFollowed} events followed; heap after collection {warm.Heap / 1048576.0:0.0} MiB after warm-up, " +
                $"{end.Heap / 1048576.0:0.0} MiB at the end (x{heapGrowth:0.00}); fds {warm.Handles} -> {end.Handles}; threads {warm.Threads} -> {end.Threads}; max working set {maxWorkingSet / 1048576} MiB");
            foreach (var failure in load.Failures.Take(20))
            {
                output.WriteLine("FAILURE " + failure);
            }

            var violations = load.Failures.Count + (heapGrowth > 2 ? 1 : 0) + (end.Handles > warm.Handles + 25 ? 1 : 0) + (end.Threads > warm.Threads + 20 ? 1 : 0);
            ReliabilitySuite.Record("soak", "operations", load.Operations, violations);
            ReliabilitySuite.Record("soak", $"heap KiB after collection at end (warm-up {warm.Heap / 1024})", end.Heap / 1024, heapGrowth > 2 ? 1 : 0);
            ReliabilitySuite.Record("soak", $"max working set growth KiB (warm-up {warm.WorkingSet / 1024})", Math.Max(0, maxWorkingSet - warm.WorkingSet) / 1024, 0);
            ReliabilitySuite.Record("soak", $"open fds at end (warm-up {warm.Handles})", end.Handles, end.Handles > warm.Handles + 25 ? 1 : 0);
            ReliabilitySuite.Record("soak", $"threads at end (warm-up {warm.Threads})", end.Threads, end.Threads > warm.Threads + 20 ? 1 : 0);
            load.Failures.Should().BeEmpty();
            end.Heap.Should().BeLessThanOrEqualTo(2 * warm.Heap, "the heap after a full collection at most doubles after the warm-up");
            end.Handles.Should().BeLessThanOrEqualTo(warm.Handles + 25, "sockets, log segments and database handles are closed again");
            end.Threads.Should().BeLessThanOrEqualTo(warm.Threads + 20, "no thread is left behind per operation");
            load.Operations.Should().BeGreaterThan((long)(duration.TotalSeconds * IntentsPerTick * TicksPerSecond / 4), "the load ran (well below the target rate on a loaded machine)");
            load.EventsFollowed.Should().BeGreaterThan(0);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private static async Task SubmitAsync(HttpClient client, int tenant, long tick, int i, Load load, Queue<(int, string)> approvals)
    {
        var type = ((tick + i) % 6) switch { 0 => "rel.approve", 1 or 2 => "rel.explain", _ => "rel.note" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ApiHost.Json(new { type, payload = new { text = $"soak {tick}/{i}" } }) };
        if (i == 0)
        {
            request.Headers.Add("Idempotency-Key", $"soak-{tick}");
        }

        var body = await load.RunAsync("submit", () => client.SendAsync(request), HttpStatusCode.Accepted);
        if (body?.GetProperty("execution").GetString() is { } execution)
        {
            load.LastExecution = (tenant, execution);
            if (type == "rel.approve")
            {
                lock (approvals)
                {
                    approvals.Enqueue((tenant, execution));
                }
            }
        }
    }

    private static async Task SessionAsync(HttpClient client, Load load)
    {
        var session = await load.RunAsync("session", () => client.PostAsync("/v1/sessions", ApiHost.Json(new { ttlSeconds = 30 })), HttpStatusCode.Created);
        if (session?.GetProperty("id").GetString() is not { } id)
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/intents") { Content = ApiHost.Json(new { type = "rel.note", payload = new { text = "in a session" } }) };
        request.Headers.Add("X-Symphainy-Session", id);
        await load.RunAsync("submit", () => client.SendAsync(request), HttpStatusCode.Accepted);
        await load.RunAsync("end session", () => client.DeleteAsync($"/v1/sessions/{id}"), HttpStatusCode.NoContent);
    }

    /// <summary>A WebSocket opened, read from until its first event, and closed: what a browser tab does.</summary>
    private static async Task ShortSocketAsync(ApiHost host, TenantAccount account, Load load)
    {
        Interlocked.Increment(ref load.OperationCount);
        try
        {
            using var socket = await host.ConnectAsync("from=1", account);
            var first = await ApiHost.ReceiveAsync(socket, TimeSpan.FromSeconds(30));
            if (first?.GetProperty("type").GetString() != "event")
            {
                load.Fail($"a short WebSocket got {first}");
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            load.Fail($"a short WebSocket failed: {e.Message}");
        }
    }

    private static async Task FollowAsync(ApiHost host, TenantAccount account, Load load, CancellationToken stop)
    {
        using var socket = await host.ConnectAsync("", account);
        var buffer = new byte[16 * 1024];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var received = await socket.ReceiveAsync(buffer, stop);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    load.Fail($"tenant {account.Index}'s stream was closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
                    return;
                }

                if (received.EndOfMessage)
                {
                    Interlocked.Increment(ref load.EventsFollowedCount);
                }
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or WebSocketException)
        {
        }
    }

    /// <summary>What the load did: operations by kind, failures (a wrong status or a broken connection).</summary>
    private sealed class Load
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _kinds = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _failures = new();

        public long OperationCount;
        public long EventsFollowedCount;

        public long Operations => Interlocked.Read(ref OperationCount);

        public long EventsFollowed => Interlocked.Read(ref EventsFollowedCount);

        public IReadOnlyCollection<string> Failures => _failures;

        public (int Tenant, string Execution)? LastExecution { get; set; }


        public void Fail(string failure) => _failures.Enqueue(failure);

        public string Summary() => string.Join(", ", _kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"));

        public async Task<JsonElement?> RunAsync(string kind, Func<Task<HttpResponseMessage>> call, HttpStatusCode expected)
        {
            Interlocked.Increment(ref OperationCount);
            _kinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
            try
            {
                using var response = await call();
                if (response.StatusCode != expected)
                {
                    Fail($"{kind}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    return null;
                }

                return response.Content.Headers.ContentLength is 0 ? null : await response.Content.ReadFromJsonAsync<JsonElement>();
            }
            catch (HttpRequestException e)
            {
                Fail($"{kind}: {e.Message}");
                return null;
            }
        }
    }

    private sealed record Sample(TimeSpan At, long Operations, long WorkingSet, long Heap, int Handles, int Threads)
    {
        public static Sample Take(TimeSpan at, long operations, bool collect)
        {
            if (collect)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            }

            using var process = Process.GetCurrentProcess();
            return new Sample(at, operations, process.WorkingSet64, GC.GetTotalMemory(false), Directory.GetFileSystemEntries("/proc/self/fd").Length, process.Threads.Count);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{At.TotalSeconds,7:0}  {Operations,6}  {WorkingSet / 1048576.0,8:0.0}  {Heap / 1048576.0,8:0.0}  {Handles,5}  {Threads,5}");
    }
}
