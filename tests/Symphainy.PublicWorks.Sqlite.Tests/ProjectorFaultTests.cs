using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Configuration;
using Symphainy.Projection;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.PublicWorks.Sqlite.Tests;

/// <summary>The projector when the graph refuses writes (a full disk): it retries, and a stop never fails because of it.</summary>
public sealed class ProjectorFaultTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly TimerSignalingTime _time = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryWriteAheadLog _wal;
    private readonly FaultyGraph _graph = new();
    private readonly LogLines _log = new();
    private readonly ILoggerFactory _logging;
    private readonly IdGenerator _ids;
    private readonly TenantId _tenant;

    public ProjectorFaultTests()
    {
        _wal = new InMemoryWriteAheadLog(_time);
        _ids = new IdGenerator(_time, new SeededRandomSource(21));
        _tenant = _ids.Next<TenantId>();
        _logging = LoggerFactory.Create(b => b.AddProvider(_log).SetMinimumLevel(LogLevel.Trace));
    }

    public static TheoryData<string> Faults => ["disk full", "io"];

    private static Exception Fault(string kind) => kind switch
    {
        "disk full" => new SqliteException("SQLite Error 13: 'database or disk is full'.", 13),
        _ => new IOException("No space left on device"),
    };

    public void Dispose()
    {
        _logging.Dispose();
        _log.Dispose();
    }

    private StateGraphProjector NewProjector() => new(_wal, _graph, _time, _logging.CreateLogger<StateGraphProjector>());

    /// <summary>Opens a session (one log record, one graph node) and returns the position of its record.</summary>
    private async Task<long> OpenSessionAsync()
    {
        var now = _time.GetUtcNow();
        var session = new SessionPayload(now, now.AddHours(1), null, TimeSpan.FromHours(1), new Dictionary<string, string>());
        await _wal.AppendAsync(new WalEntry(session.Kind, _tenant, WalPayloadCodec.Encode(session), _ids.Next<SessionId>()));
        return _wal.NextPosition - 1;
    }

    private async Task<int> SessionsInGraphAsync() => (await _graph.QueryNodesAsync(_tenant, GraphNodeKind.Session, 1000)).Count;

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_failed_write_while_running_is_retried_with_a_growing_delay_and_projection_catches_up_once_it_heals(string kind)
    {
        await using var projector = NewProjector();
        await projector.StartAsync(CancellationToken.None);
        await OpenSessionAsync();
        await OpenSessionAsync();
        await projector.WaitForPositionAsync(2).WaitAsync(Bound);

        _graph.Fault = Fault(kind);
        var position = await OpenSessionAsync();
        (await _graph.Failures.ReadAsync().AsTask().WaitAsync(Bound)).Should().BeSameAs(_graph.Fault);
        (await _time.Timers.ReadAsync().AsTask().WaitAsync(Bound)).Should().Be(StateGraphProjector.FirstRetryDelay);
        projector.ProjectedPosition.Should().Be(2);
        projector.RetainFrom.Should().Be(3, "the log keeps what the graph refused");

        _time.Advance(StateGraphProjector.FirstRetryDelay);
        await _graph.Failures.ReadAsync().AsTask().WaitAsync(Bound);
        (await _time.Timers.ReadAsync().AsTask().WaitAsync(Bound)).Should().Be(StateGraphProjector.FirstRetryDelay * 2, "the delay grows");

        _graph.Fault = null;
        _time.Advance(StateGraphProjector.FirstRetryDelay * 2);
        await projector.WaitForPositionAsync(position).WaitAsync(Bound);
        (await SessionsInGraphAsync()).Should().Be(3);
        (await _graph.GetCheckpointAsync(StateGraphProjector.Name)).Should().Be(position);

        // A record after the fault is projected as usual: the loop lives on.
        var next = await OpenSessionAsync();
        await projector.WaitForPositionAsync(next).WaitAsync(Bound);
        (await SessionsInGraphAsync()).Should().Be(4);
        _log.Lines.Should().ContainMatch($"Error: State graph projection could not write log positions 3 to 3 to the graph (attempt 1); retrying in 00:00:01*")
            .And.ContainMatch("Error: *(attempt 2); retrying in 00:00:02*")
            .And.ContainMatch("Information: State graph projection wrote log positions up to 3 to the graph at attempt 3");
        await projector.StopAsync(CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_stop_while_the_graph_refuses_writes_completes_logs_and_the_next_start_projects_the_rest(string kind)
    {
        var projector = NewProjector();
        await projector.StartAsync(CancellationToken.None);
        await OpenSessionAsync();
        await OpenSessionAsync();
        await projector.WaitForPositionAsync(2).WaitAsync(Bound);

        _graph.Fault = Fault(kind);
        var position = await OpenSessionAsync();
        await _graph.Failures.ReadAsync().AsTask().WaitAsync(Bound);

        var stop = async () => await projector.StopAsync(CancellationToken.None).WaitAsync(Bound);
        await stop.Should().NotThrowAsync("a stop is not a failure, whatever the graph says");
        (await _graph.Failures.ReadAsync().AsTask().WaitAsync(Bound)).Should().BeSameAs(_graph.Fault, "the stop tried to write once more");
        _log.Lines.Should().ContainMatch("Warning: State graph projection could not write log positions 3 to 3 to the graph as it stopped*");
        projector.ProjectedPosition.Should().Be(2);
        (await _graph.GetCheckpointAsync(StateGraphProjector.Name)).Should().Be(2);
        await projector.DisposeAsync();

        _graph.Fault = null;
        await using var restarted = NewProjector();
        await restarted.StartAsync(CancellationToken.None);
        await restarted.WaitForPositionAsync(position).WaitAsync(Bound);
        (await SessionsInGraphAsync()).Should().Be(3);
        _log.Lines.Should().ContainMatch("Information: State graph projection starts at log position 3 (from its checkpoint)*");
        await restarted.StopAsync(CancellationToken.None);
    }

    /// <summary>A graph with a checkpoint that throws <see cref="Fault"/> from every write while it is set.</summary>
    private sealed class FaultyGraph : IStateGraph, IProjectionCheckpoints
    {
        private readonly InMemoryStateGraph _inner = new();
        private readonly Channel<Exception> _failures = Channel.CreateUnbounded<Exception>();
        private long _checkpoint;
        private volatile Exception? _fault;

        public Exception? Fault
        {
            get => _fault;
            set => _fault = value;
        }

        /// <summary>Each write that failed, in order.</summary>
        public ChannelReader<Exception> Failures => _failures.Reader;

        public ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
        {
            ThrowIfFaulty();
            return _inner.UpsertAsync(batch, cancellationToken);
        }

        public ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Interlocked.Read(ref _checkpoint));

        public ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default)
        {
            ThrowIfFaulty();
            Interlocked.Exchange(ref _checkpoint, position);
            return ValueTask.CompletedTask;
        }

        public ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default) =>
            _inner.GetNodeAsync(tenant, id, cancellationToken);

        public ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default) =>
            _inner.QueryNodesAsync(tenant, kind, limit, afterId, cancellationToken);

        public ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default) =>
            _inner.GetEdgesAsync(tenant, nodeId, direction, cancellationToken);

        public ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default) =>
            _inner.GetLineageAsync(tenant, nodeId, maxDepth, cancellationToken);

        public ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default) =>
            _inner.DeleteNodesAsync(tenant, nodeIds, cancellationToken);

        public ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default) =>
            _inner.DeleteTenantAsync(tenant, cancellationToken);

        private void ThrowIfFaulty()
        {
            if (_fault is { } fault)
            {
                _failures.Writer.TryWrite(fault);
                throw fault;
            }
        }
    }

    /// <summary>A fake clock that reports the due time of every timer created on it (a retry's delay), once it is armed.</summary>
    private sealed class TimerSignalingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        public ChannelReader<TimeSpan> Timers => _timers.Reader;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }
    }

    /// <summary>Keeps every log line as "Level: message".</summary>
    private sealed class LogLines : ILoggerProvider
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

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(LogLines owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines)
                {
                    owner._lines.Add($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
