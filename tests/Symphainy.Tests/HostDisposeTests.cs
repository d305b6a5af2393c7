using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Projection;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Tests;

public sealed class HostDisposeTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _contentRoot = Directory.CreateTempSubdirectory("symphainy-dispose-");
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(11)).Next<TenantId>();
    private readonly ErrorLog _errors = new();

    public void Dispose() => _contentRoot.Delete(recursive: true);

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _contentRoot.FullName });
        // No fsync per append: a faster stream of records keeps the projector busy; durability is not under test.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:Wal:Durability"] = "OsBuffered" });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_errors);
        builder.Services.AddSymphainy();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// Opens sessions (each one a log record the projector turns into a graph node) until the log closes, at most
    /// 300 per writer: open sessions are restored at every start, so an unbounded stream would make each of the
    /// thirty restarts slower than the last.
    /// </summary>
    private async Task OpenSessionsUntilClosedAsync(ISessionRegistry sessions, CancellationToken stop)
    {
        try
        {
            for (var opened = 0; opened < 300 && !stop.IsCancellationRequested; opened++)
            {
                await sessions.CreateAsync(_tenant, cancellationToken: stop);
            }
        }
        catch (SymphainyException e) when (e.Code == "wal.closed")
        {
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Starts a host, keeps records coming, and disposes it without stopping it while the projector writes; 30 times.</summary>
    private async Task DisposeWhileProjectingAsync()
    {
        for (var iteration = 0; iteration < 30; iteration++)
        {
            var host = await StartAsync();
            var wal = host.Services.GetRequiredService<IWriteAheadLog>();
            var projector = host.Services.GetRequiredService<StateGraphProjector>();
            var sessions = host.Services.GetRequiredService<ISessionRegistry>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(_ => OpenSessionsUntilClosedAsync(sessions, stop.Token)).ToArray();

            // The projection is busy writing when the host goes away.
            await projector.WaitForPositionAsync(wal.NextPosition + 20).WaitAsync(Bound);
            var dispose = async () => await ((IAsyncDisposable)host).DisposeAsync();
            await dispose.Should().NotThrowAsync($"disposing a running host is not a failure (iteration {iteration})");
            _errors.Lines.Should().BeEmpty($"nothing fails while a host is disposed (iteration {iteration})");

            await stop.CancelAsync();
            await Task.WhenAll(writers).WaitAsync(Bound);
        }
    }

    [Fact]
    public async Task Disposing_a_started_host_without_stopping_it_while_records_are_projected_never_throws_and_a_restart_catches_up()
    {
        // Whatever the host still runs while it is disposed must not reach the graph after it closed: such a race
        // fails the projection's last write, or makes closing the connection itself throw.
        var touchedClosedGraph = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Watch(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is ObjectDisposedException or NullReferenceException or InvalidOperationException
                && new System.Diagnostics.StackTrace().ToString() is var stack
                && (stack.Contains("SqliteStateGraph", StringComparison.Ordinal) || stack.Contains("StateGraphProjector", StringComparison.Ordinal)))
            {
                touchedClosedGraph.Enqueue($"{e.Exception.GetType().Name}: {e.Exception.Message}\n{stack}");
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Watch;
        try
        {
            await DisposeWhileProjectingAsync();
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Watch;
        }

        touchedClosedGraph.TryPeek(out var first);
        first.Should().BeNull("the projection ends before the graph closes, and nothing uses a closed graph");

        using var restarted = await StartAsync();
        var log = restarted.Services.GetRequiredService<IWriteAheadLog>();
        var opened = 0;
        await foreach (var record in log.ReadAsync(log.FirstPosition))
        {
            opened += record.Kind == WalRecordKind.SessionStarted && record.Tenant == _tenant ? 1 : 0;
        }

        await restarted.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(log.NextPosition - 1).WaitAsync(Bound);
        var graph = restarted.Services.GetRequiredService<IStateGraph>();
        var projected = 0;
        string? after = null;
        while (await graph.QueryNodesAsync(_tenant, GraphNodeKind.Session, 1000, after) is { Count: > 0 } page)
        {
            projected += page.Count;
            after = page[^1].Id;
        }

        opened.Should().BeGreaterThan(30 * 20);
        projected.Should().Be(opened, "every session in the log reaches the graph after a restart");
        await restarted.StopAsync();
    }

    /// <summary>Keeps every error (and worse) a host logs, with its exception.</summary>
    private sealed class ErrorLog : ILoggerProvider
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return _lines.ToArray();
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lock (owner._lines)
                    {
                        owner._lines.Add($"{category}: {formatter(state, exception)} {exception}");
                    }
                }
            }
        }
    }
}
