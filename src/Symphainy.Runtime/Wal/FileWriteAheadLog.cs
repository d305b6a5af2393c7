using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Symphainy.Wal.Internal;

namespace Symphainy.Wal;

/// <summary>
/// The embedded durable write-ahead log: length-prefixed, CRC-32C-checksummed records in segment files
/// that roll at <see cref="WalOptions.SegmentSizeBytes"/>, written by one writer with group commit.
/// </summary>
/// <remarks>
/// <para>
/// Group commit: concurrent appends queue up while the previous batch is being written; the writer takes
/// everything queued (up to <see cref="WalOptions.MaxBatchBytes"/>), writes it with one write call and one
/// fsync, and only then completes the appends of that batch. The last record of each batch is marked, so
/// after a crash recovery keeps whole batches only.
/// </para>
/// <para>
/// Recovery on open scans the last segment and truncates a torn tail (an incomplete or damaged record after
/// which no complete, committed batch follows). A damaged record followed by committed records is real
/// corruption and fails with <c>wal.corrupt_record</c>; it is never skipped.
/// </para>
/// </remarks>
public sealed partial class FileWriteAheadLog : IWriteAheadLog, IAsyncDisposable, IDisposable
{
    private const int ReadBufferSize = 256 * 1024;
    private readonly string _directory;
    private readonly string? _archiveDirectory;
    private readonly WalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingAppend> _queue;
    private readonly CommitSignal _signal = new();
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly Task _writer;
    private SafeFileHandle _active;
    private byte[] _buffer = new byte[64 * 1024];
    private long _nextPosition;
    private Exception? _failure;
    private int _disposed;

    /// <summary>Opens (or creates) the log in <paramref name="directory"/>, recovering from any earlier crash.</summary>
    /// <param name="directory">The directory of the segment files; created if missing.</param>
    /// <param name="options">Durability, segment size and limits.</param>
    /// <param name="time">The clock that stamps records.</param>
    /// <param name="logger">Receives recovery and failure reports.</param>
    /// <exception cref="SymphainyException"><c>wal.corrupt_record</c> when the log is damaged before its tail; <c>wal.io_failed</c> when it cannot be read.</exception>
    public FileWriteAheadLog(string directory, WalOptions options, TimeProvider time, ILogger<FileWriteAheadLog>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _directory = Path.GetFullPath(directory);
        _archiveDirectory = string.IsNullOrWhiteSpace(options.ArchiveDirectory) ? null : Path.GetFullPath(options.ArchiveDirectory);
        _options = options;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(16 * 1024)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });

        try
        {
            _active = Recover();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SymphainyException(ErrorCodes.WalIoFailed, $"Could not open the write-ahead log in {_directory}: {e.Message}", e);
        }

        _writer = WriteLoopAsync();
    }

    /// <summary>The directory of the segment files.</summary>
    public string Directory => _directory;

    /// <inheritdoc/>
    public long NextPosition => Volatile.Read(ref _nextPosition);

    /// <inheritdoc/>
    public long FirstPosition
    {
        get
        {
            lock (_gate)
            {
                return _segments[0].FirstPosition;
            }
        }
    }

    /// <summary>The segment files currently kept, oldest first.</summary>
    public IReadOnlyList<string> SegmentFiles
    {
        get
        {
            lock (_gate)
            {
                return _segments.Select(s => s.Path).ToArray();
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        entry.Validate(_options.MaxRecordBytes, checksFences: false);
        ThrowIfClosed();
        var pending = new PendingAppend(entry);
        if (!_queue.Writer.TryWrite(pending))
        {
            return EnqueueSlowAsync(pending, cancellationToken);
        }

        return new ValueTask<long>(cancellationToken.CanBeCanceled ? pending.Task.WaitAsync(cancellationToken) : pending.Task);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Segment[] segments;
        lock (_gate)
        {
            ThrowIfTruncated(fromPosition);
            segments = _segments.Select(s => s.Snapshot()).ToArray();
        }

        foreach (var segment in segments)
        {
            if (segment.LastPosition < fromPosition || segment.LastPosition < segment.FirstPosition)
            {
                continue;
            }

            IEnumerable<WalRecord> records;
            try
            {
                records = ReadSegment(segment, fromPosition);
            }
            catch (FileNotFoundException)
            {
                lock (_gate)
                {
                    ThrowIfTruncated(fromPosition);
                }

                throw;
            }

            foreach (var record in records)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return record;
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) =>
        WalTail.FollowAsync(this, _signal, () => Volatile.Read(ref _disposed) != 0 || _failure is not null, fromPosition, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default)
    {
        var removed = new List<Segment>();
        lock (_gate)
        {
            // Never the active segment; only whole sealed segments entirely below the position, oldest first.
            while (_segments.Count > 1 && _segments[0].LastPosition < position)
            {
                removed.Add(_segments[0]);
                _segments.RemoveAt(0);
            }
        }

        if (removed.Count > 0)
        {
            if (_archiveDirectory is not null)
            {
                System.IO.Directory.CreateDirectory(_archiveDirectory);
            }

            foreach (var segment in removed)
            {
                if (_archiveDirectory is null)
                {
                    File.Delete(segment.Path);
                }
                else
                {
                    File.Move(segment.Path, Path.Combine(_archiveDirectory, Path.GetFileName(segment.Path)), overwrite: true);
                }
            }

            DirectorySync.Flush(_directory);
            if (_archiveDirectory is not null)
            {
                DirectorySync.Flush(_archiveDirectory);
            }

            LogCheckpoint(_logger, removed.Count, _archiveDirectory is null ? "deleted" : "archived", FirstPosition);
        }

        return ValueTask.FromResult(FirstPosition);
    }

    /// <summary>Stops accepting appends, writes everything already queued, and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _active.Dispose();
        _signal.Pulse();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>, for containers that cannot dispose asynchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async ValueTask<long> EnqueueSlowAsync(PendingAppend pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw Closed(e);
        }

        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _disposed) != 0 || _failure is not null)
        {
            throw Closed(_failure);
        }
    }

    private SymphainyException Closed(Exception? cause) => new(
        ErrorCodes.WalClosed,
        _failure is null
            ? $"The write-ahead log in {_directory} is shut down and accepts no more records."
            : $"The write-ahead log in {_directory} stopped after a storage failure and accepts no more records: {_failure.Message}",
        cause ?? _failure);

    private void ThrowIfTruncated(long fromPosition)
    {
        if (fromPosition < _segments[0].FirstPosition)
        {
            throw new SymphainyException(
                ErrorCodes.WalPositionTruncated,
                $"Position {fromPosition} was removed from the write-ahead log by a checkpoint; the first position kept is {_segments[0].FirstPosition}.");
        }
    }

    private async Task WriteLoopAsync()
    {
        // Leave the constructor before doing blocking I/O.
        await Task.Yield();
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>(256);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var bytes = 0;
            while (bytes < _options.MaxBatchBytes && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += WalFormat.EncodedSize(pending.Entry);
            }

            if (_failure is not null)
            {
                FailAll(batch, Closed(_failure));
                continue;
            }

            try
            {
                WriteBatch(batch, bytes);
            }
#pragma warning disable CA1031 // Whatever a write throws must fail its appends: an escaping exception would end this loop and leave every append waiting forever.
            catch (Exception e)
#pragma warning restore CA1031
            {
                // After a failed write or fsync the file's state is unknown: stop, never acknowledge. Not only I/O
                // exceptions: a write past the file size limit (EFBIG: ulimit -f, the file system's largest file) comes
                // as ArgumentOutOfRangeException.
                _failure = e;
                LogWriteFailed(_logger, e, _directory);
                FailAll(batch, new SymphainyException(ErrorCodes.WalIoFailed, $"Writing the write-ahead log in {_directory} failed: {e.Message}", e));
                _signal.Pulse();
                continue;
            }

            var first = Volatile.Read(ref _nextPosition) - batch.Count;
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].TrySetResult(first + i);
            }

            batch.Clear();
        }
    }

    private static void FailAll(List<PendingAppend> batch, Exception error)
    {
        foreach (var pending in batch)
        {
            pending.TrySetException(error);
        }

        batch.Clear();
    }

    private void WriteBatch(List<PendingAppend> batch, int bytes)
    {
        if (_buffer.Length < bytes)
        {
            _buffer = new byte[Math.Max(bytes, _buffer.Length * 2)];
        }

        var position = _nextPosition;
        var ticks = _time.GetUtcNow().UtcTicks;
        var span = _buffer.AsSpan();
        var offset = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            offset += WalFormat.Encode(span[offset..], batch[i].Entry, position + i, ticks, endOfBatch: i == batch.Count - 1);
        }

        Segment active;
        lock (_gate)
        {
            active = _segments[^1];
        }

        if (active.Length > WalFormat.HeaderSize && active.Length + offset > _options.SegmentSizeBytes)
        {
            active = Roll(position);
        }

        RandomAccess.Write(_active, span[..offset], active.Length);
        if (_options.Durability == WalDurability.Fsync)
        {
            RandomAccess.FlushToDisk(_active);
        }

        lock (_gate)
        {
            active.AddToIndex(position, active.Length);
            active.Length += offset;
            active.LastPosition = position + batch.Count - 1;
            Volatile.Write(ref _nextPosition, position + batch.Count);
        }

        _signal.Pulse();
    }

    private Segment Roll(long firstPosition)
    {
        var (segment, handle) = CreateSegment(firstPosition);
        var previous = _active;
        lock (_gate)
        {
            _segments.Add(segment);
            _active = handle;
        }

        previous.Dispose();
        return segment;
    }

    private (Segment Segment, SafeFileHandle Handle) CreateSegment(long firstPosition)
    {
        var path = Path.Combine(_directory, WalFormat.SegmentFileName(firstPosition));
        var temporary = path + ".tmp";
        Span<byte> header = stackalloc byte[WalFormat.HeaderSize];
        WalFormat.WriteHeader(header, firstPosition, _time.GetUtcNow().ToUnixTimeMilliseconds());
        using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.Write(file, header, 0);
            RandomAccess.FlushToDisk(file);
        }

        // Rename after the header is durable: a segment file never exists with a torn header.
        File.Move(temporary, path);
        DirectorySync.Flush(_directory);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        return (new Segment(path, firstPosition) { Length = WalFormat.HeaderSize, LastPosition = firstPosition - 1 }, handle);
    }

    private sealed class PendingAppend(WalEntry entry) : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public WalEntry Entry { get; } = entry;
    }

    private sealed class Segment(string path, long firstPosition)
    {
        /// <summary>Records between two entries of the sparse position-to-offset index.</summary>
        private const int IndexInterval = 64;

        private readonly List<(long Position, long Offset)> _index = [];
        private (long Position, long Offset)[] _indexSnapshot = [];

        public string Path { get; } = path;

        public long FirstPosition { get; } = firstPosition;

        /// <summary>Position of the last durable record; FirstPosition - 1 when empty.</summary>
        public long LastPosition { get; set; }

        /// <summary>Durable bytes, header included.</summary>
        public long Length { get; set; }

        /// <summary>Sorted (position, byte offset) pairs of some record starts, so a read from a position need not scan the segment from its start.</summary>
        public IReadOnlyList<(long Position, long Offset)> Index => _indexSnapshot;

        /// <summary>Remembers where the record at <paramref name="position"/> starts, every <see cref="IndexInterval"/> records.</summary>
        public void AddToIndex(long position, long offset)
        {
            if (_index.Count == 0 || position - _index[^1].Position >= IndexInterval)
            {
                _index.Add((position, offset));
            }
        }

        /// <summary>Drops index entries past the committed end (recovery cut the tail).</summary>
        public void TrimIndex(long lastPosition) => _index.RemoveAll(e => e.Position > lastPosition);

        public Segment Snapshot() => new(Path, FirstPosition) { LastPosition = LastPosition, Length = Length, _indexSnapshot = [.. _index] };

        /// <summary>Where to start reading for <paramref name="fromPosition"/>: the nearest indexed record at or before it.</summary>
        public (long Position, long Offset) StartFor(long fromPosition)
        {
            var index = _indexSnapshot;
            int low = 0, high = index.Length - 1, found = -1;
            while (low <= high)
            {
                var middle = (low + high) / 2;
                if (index[middle].Position <= fromPosition)
                {
                    found = middle;
                    low = middle + 1;
                }
                else
                {
                    high = middle - 1;
                }
            }

            return found < 0 ? (FirstPosition, WalFormat.HeaderSize) : index[found];
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Write-ahead log recovery in {Directory}: discarded {Bytes} bytes after position {Position} in {Segment}: an incomplete batch ({Found}), as a write interrupted by a crash leaves it. {Acknowledged}")]
    private static partial void LogIncompleteBatch(ILogger logger, string directory, long bytes, long position, string segment, string found, string acknowledged);

    [LoggerMessage(2, LogLevel.Information, "Write-ahead log opened in {Directory}: {Segments} segment(s), positions {First} to {Last}")]
    private static partial void LogOpened(ILogger logger, string directory, int segments, long first, long last);

    [LoggerMessage(3, LogLevel.Critical, "Write-ahead log in {Directory} failed to write or sync; it accepts no more records")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(4, LogLevel.Information, "Write-ahead log checkpoint: {Count} segment(s) {Action}; first position kept is {First}")]
    private static partial void LogCheckpoint(ILogger logger, int count, string action, long first);

    [LoggerMessage(5, LogLevel.Error, "Write-ahead log recovery in {Directory}: discarded {Bytes} bytes after position {Position} in {Segment}: the record at byte {Offset} (position {Damaged}) is damaged and no complete batch follows it. A crash during a write can leave this, but so can damage to the disk or the file: records after position {Position} may have been acknowledged, and if so they are lost")]
    private static partial void LogDamagedTail(ILogger logger, string directory, long bytes, long position, string segment, int offset, long damaged);
}
