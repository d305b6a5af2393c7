using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Symphainy.Conformance;

/// <summary>
/// A real <c>redis-server</c> (the Debian package) on a free loopback port, with its own directory and
/// <c>appendonly yes</c>, <c>appendfsync always</c>. A missing binary or a server that does not come up fails the test:
/// Redis tests never skip. It can be killed (SIGKILL) and started again on the same port and files. Shared by the Redis
/// provider's tests and the reliability suite.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-redis-");
    private readonly string _fsync;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeSpan _startupWait;
    private Process? _process;

    private RedisServer(string fsync, TimeSpan operationTimeout, TimeSpan startupWait)
    {
        _fsync = fsync;
        _operationTimeout = operationTimeout;
        _startupWait = startupWait;
        Port = FreePort();
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it.</summary>
    public string ConnectionString
    {
        get
        {
            var ms = (int)_operationTimeout.TotalMilliseconds;
            return $"127.0.0.1:{Port},abortConnect=false,connectTimeout={ms},syncTimeout={ms},asyncTimeout={ms}";
        }
    }

    /// <summary>
    /// Starts a server; <paramref name="appendFsync"/> is its <c>appendfsync</c> setting, <paramref name="operationTimeout"/>
    /// the connect and command timeouts of <see cref="ConnectionString"/> (default 5 s), <paramref name="startupWait"/> how
    /// long a (re)start may take to answer, loading its append-only file included (default 20 s).
    /// </summary>
    public static async Task<RedisServer> StartAsync(string appendFsync = "always", TimeSpan? operationTimeout = null, TimeSpan? startupWait = null)
    {
        var server = new RedisServer(appendFsync, operationTimeout ?? TimeSpan.FromSeconds(5), startupWait ?? TimeSpan.FromSeconds(20));
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server process (again) on the same port and files.</summary>
    public async Task RestartAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: run ./build.sh test (it installs the Debian package redis-server) or apt-get install -y redis-server. Redis tests never skip.");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory.FullName,
            "--appendonly", "yes", "--appendfsync", _fsync, "--save", "", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},abortConnect=true,connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (Exception e) when ((e is RedisConnectionException || e.Message.StartsWith("LOADING", StringComparison.Ordinal))
                && deadline.Elapsed < _startupWait && !_process.HasExited)
            {
                await Task.Delay(50); // not listening yet, or still loading its append-only file after a restart
            }
        }
    }

    /// <summary>Kills the server with SIGKILL: no shutdown, no final save.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Kills the server and deletes its files.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

