using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Experience.Client;
using Symphainy.Sagas;

namespace Symphainy.Experience.Tests;

/// <summary>The .NET client against the real server, over real Kestrel, including a watch that survives a cut connection.</summary>
public sealed class ClientAgainstServerTests
{
    private static SymphainyClient ClientFor(Uri address, string apiKey = ExperienceHost.AliceKey) =>
        new(new HttpClient { BaseAddress = address }, new SymphainyClientOptions
        {
            BaseAddress = address,
            ApiKey = apiKey,
            WatchReconnectDelay = TimeSpan.FromMilliseconds(20),
            WatchReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        });

    [Fact]
    public async Task The_client_submits_waits_for_the_end_and_reads_the_execution_and_the_servers_problems_arrive_typed()
    {
        await using var host = await ExperienceHost.StartAsync();
        var client = ClientFor(host.Address);

        var accepted = await client.SubmitAsync("demo.echo", new { id = 7 }, idempotencyKey: "client-1");
        var ended = await client.WaitForEndAsync(accepted.Execution).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(ExecutionState.Completed);
        (await client.GetExecutionAsync(accepted.Execution)).Output!.Value.GetInt32().Should().Be(7);
        (await client.SubmitAsync("demo.echo", new { id = 7 }, idempotencyKey: "client-1")).Duplicate.Should().BeTrue();
        (await client.ListCapabilitiesAsync()).Select(c => c.Name).Should().Contain(["demo.echo", "demo.approve"]);

        var unknown = () => client.SubmitAsync("demo.nothing", new { id = 1 });
        (await unknown.Should().ThrowAsync<SymphainyClientException>()).Which.Status.Should().Be(HttpStatusCode.NotFound);
        var otherTenant = () => ClientFor(host.Address, ExperienceHost.BobKey).GetExecutionAsync(accepted.Execution);
        (await otherTenant.Should().ThrowAsync<SymphainyClientException>()).Which.Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_watch_whose_connection_is_cut_reconnects_and_resumes_without_gaps_or_duplicates()
    {
        await using var host = await ExperienceHost.StartAsync();
        await using var proxy = await CuttableProxy.StartAsync(host.Address);
        var client = ClientFor(proxy.Address);
        var accepted = await client.SubmitAsync("demo.approve", new { id = 4 });
        var saga = SagaId.Parse(accepted.Execution);

        var received = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var cut = false;
        await foreach (var e in client.WatchAsync(WatchScope.ForExecution(accepted.Execution), cancellationToken: timeout.Token))
        {
            received.Add(e.Position);
            if (!cut && e.Kind == Client.ExecutionEventKind.Waiting)
            {
                // Cut every connection while the saga waits, then let it finish: its last events happen while the
                // watch is away, and must arrive once it is back.
                cut = true;
                proxy.CutAll();
                await host.Engine.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
                await client.SignalAsync(accepted.Execution, "approve", new { approved = true, by = "ops" });
            }

            if (e.IsEnd)
            {
                break;
            }
        }

        cut.Should().BeTrue("the saga waited for its signal");
        proxy.Cuts.Should().BeGreaterThan(0);
        received.Should().Equal(await host.LoggedPositionsAsync(host.Alice, saga), "every event once, in log order, across the cut");
    }

    /// <summary>A TCP proxy to the server whose connections the test can cut, as a network would.</summary>
    private sealed class CuttableProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Uri _target;
        private readonly List<TcpClient> _open = [];
        private readonly CancellationTokenSource _stop = new();
        private Task? _accepting;

        private CuttableProxy(Uri target) => _target = target;

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

        public int Cuts { get; private set; }

        public static Task<CuttableProxy> StartAsync(Uri target)
        {
            var proxy = new CuttableProxy(target);
            proxy._listener.Start();
            proxy._accepting = proxy.AcceptAsync();
            return Task.FromResult(proxy);
        }

        public void CutAll()
        {
            lock (_open)
            {
                foreach (var connection in _open)
                {
                    if (connection.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0); // a reset, not a polite close
                    }

                    connection.Dispose();
                }

                Cuts += _open.Count;
                _open.Clear();
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient inbound;
                try
                {
                    inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                var outbound = new TcpClient();
                await outbound.ConnectAsync(_target.Host, _target.Port);
                lock (_open)
                {
                    _open.Add(inbound);
                    _open.Add(outbound);
                }

                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }

        private static async Task PumpAsync(TcpClient from, TcpClient to)
        {
            try
            {
                await from.GetStream().CopyToAsync(to.GetStream());
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
            }
            finally
            {
                to.Dispose();
                from.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            CutAll();
            if (_accepting is not null)
            {
                await _accepting;
            }

            _stop.Dispose();
        }
    }
}
