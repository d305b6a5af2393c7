using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>
/// The deployment topology as real local processes: the sample host in its runtime, smart-city and realms roles on one
/// redis-server (each with its own data directory), driven from outside through REST and the WebSocket.
/// </summary>
public sealed class TopologyTests
{
    private const string Secret = "topology-secret";

    [Fact]
    public async Task An_intent_submitted_over_REST_to_the_runtime_runs_on_the_realms_worker_and_streams_back_over_the_WebSocket()
    {
        await using var server = await RedisServer.StartAsync();
        var tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
        var prefix = RedisHotStateStoreConformanceTests.Prefix();
        var root = Directory.CreateTempSubdirectory("symphainy-topology-");
        var processes = new List<(string Role, Process Process, StringBuilder Output)>();
        try
        {
            var runtimePort = FreePort();
            foreach (var role in new[] { "runtime", "smart-city", "realms" })
            {
                processes.Add(Start(role, role == "runtime" ? runtimePort : FreePort(), server, prefix, tenant, root.FullName));
            }

            var address = new Uri($"http://127.0.0.1:{runtimePort}");
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-Api-Key", $"ops.{Secret}");
            await ReadyAsync(http, processes);

            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("X-Api-Key", $"ops.{Secret}");
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{runtimePort}/v1/events"), connect.Token);
            }

            var request = new
            {
                type = "outcomes.generate_report",
                payload = new
                {
                    data = new { name = "orders.csv", content = await SampleAsync("orders.csv") },
                    policy = new { name = "policy.txt", content = await SampleAsync("policy.txt") },
                },
            };
            using var submitted = await http.PostAsJsonAsync("/v1/intents", request);
            submitted.StatusCode.Should().Be(HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync() + Describe(processes));
            var execution = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("execution").GetString()!;

            // The events of the saga the worker runs reach the runtime's WebSocket through the shared log.
            var kinds = new List<string>();
            using (var stream = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (!kinds.Contains("SagaCompleted") && !kinds.Contains("SagaFailed"))
                {
                    var message = await ReceiveAsync(socket, stream.Token);
                    if (message.GetProperty("type").GetString() == "event" && message.GetProperty("event").GetProperty("execution").GetString() == execution)
                    {
                        kinds.Add(message.GetProperty("event").GetProperty("kind").GetString()!);
                    }
                }
            }

            kinds.Should().Contain("StepCompleted").And.Contain("AgentOutput").And.EndWith("SagaCompleted", Describe(processes));
            var ended = await http.GetFromJsonAsync<JsonElement>($"/v1/executions/{execution}");
            ended.GetProperty("state").GetString().Should().Be("Completed");
            ended.GetProperty("output").GetProperty("defects").GetArrayLength().Should().Be(5, "the bundled orders.csv has five known defects");
        }
        finally
        {
            foreach (var (_, process, _) in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                process.Dispose();
            }

            root.Delete(recursive: true);
        }
    }

    private static Task<string> SampleAsync(string name) =>
        File.ReadAllTextAsync(Path.Combine(Symphainy.Conformance.BuiltPrograms.Repository, "samples", "Symphainy.Samples.Realms", "SampleData", name));

    private static (string Role, Process Process, StringBuilder Output) Start(string role, int port, RedisServer server, string prefix, TenantId tenant, string root)
    {
        var dll = Symphainy.Conformance.BuiltPrograms.Dll("samples/Symphainy.Samples.Host");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            Environment =
            {
                ["HOST_ROLE"] = role,
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["Symphainy__InstanceName"] = role,
                ["Symphainy__DataDirectory"] = Directory.CreateDirectory(Path.Combine(root, role)).FullName,
                ["Symphainy__Redis__ConnectionString"] = server.ConnectionString,
                ["Symphainy__Redis__KeyPrefix"] = prefix,
                ["Symphainy__SmartCity__Security__ApiKeys__0__Id"] = "ops",
                ["Symphainy__SmartCity__Security__ApiKeys__0__SecretHash"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Secret))),
                ["Symphainy__SmartCity__Security__ApiKeys__0__Tenant"] = tenant.ToString(),
            },
        };
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (role, process, output);
    }

    // The runtime answers ready once it started; the others are awaited through their own health endpoints' absence of failure.
    private static async Task ReadyAsync(HttpClient http, List<(string Role, Process Process, StringBuilder Output)> processes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            foreach (var (role, process, _) in processes)
            {
                process.HasExited.Should().BeFalse($"the {role} process runs{Describe(processes)}");
            }

            try
            {
                if ((await http.GetAsync("/v1/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            DateTime.UtcNow.Should().BeBefore(deadline, $"the runtime becomes ready{Describe(processes)}");
            await Task.Delay(100);
        }
    }

    private static async Task<JsonElement> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken);
            received.MessageType.Should().NotBe(WebSocketMessageType.Close, "the stream stays open");
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                using var document = JsonDocument.Parse(message.ToArray());
                return document.RootElement.Clone();
            }
        }
    }

    private static string Describe(List<(string Role, Process Process, StringBuilder Output)> processes) =>
        string.Concat(processes.Select(p => { lock (p.Output) { return $"\n--- {p.Role}:\n{p.Output}"; } }));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
