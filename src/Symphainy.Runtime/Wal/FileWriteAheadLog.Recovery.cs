using Microsoft.Win32.SafeHandles;
using Symphainy.Wal.Internal;

namespace Symphainy.Wal;

/// <summary>Opening, crash recovery and sequential reads of segment files.</summary>
public sealed partial class FileWriteAheadLog
{
    private SafeFileHandle Recover()
    {
        System.IO.Directory.CreateDirectory(_directory);
        foreach (var leftover in System.IO.Directory.EnumerateFiles(_directory, "*" + WalFormat.SegmentExtension + ".tmp"))
        {
            File.Delete(leftover); // a segment whose creation never finished holds no records
        }

        var files = System.IO.Directory.EnumerateFiles(_directory, "*" + WalFormat.SegmentExtension)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            var (segment, handle) = CreateSegment(firstPosition: 1);
            _segments.Add(segment);
            _nextPosition = 1;
            LogOpened(_logger, _directory, 1, 1, 0);
            return handle;
        }

        foreach (var file in files)
        {
            var first = ReadSegmentHeader(file);
            if (_segments.Count > 0 && first <= _segments[^1].FirstPosition)
            {
                throw Corrupt(file, $"its first position {first} does not follow the previous segment's {_segments[^1].FirstPosition}");
            }

            if (_segments.Count > 0)
            {
                _segments[^1].LastPosition = first - 1;
            }

            _segments.Add(new Segment(file, first) { Length = new FileInfo(file).Length });
        }

        var last = _segments[^1];
        RecoverTail(last);
        _nextPosition = last.LastPosition + 1;
        LogOpened(_logger, _directory, _segments.Count, _segments[0].FirstPosition, last.LastPosition);
        return File.OpenHandle(last.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
    }

    private long ReadSegmentHeader(string file)
    {
        Span<byte> header = stackalloc byte[WalFormat.HeaderSize];
        int read;
        using (var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = RandomAccess.Read(handle, header, 0);
        }

        var first = WalFormat.ReadHeader(header[..read], out var problem) ?? throw Corrupt(file, problem!);
        if (WalFormat.SegmentFileName(first) != Path.GetFileName(file))
        {
            throw Corrupt(file, $"its header says it starts at position {first}, which does not match its name");
        }

        return first;
    }

    /// <summary>
    /// Finds the end of the last complete batch in the last segment and cuts off what follows it, unless a
    /// committed batch follows damaged bytes: that is corruption of acknowledged records and is reported.
    /// </summary>
    private void RecoverTail(Segment segment)
    {
        var bytes = File.ReadAllBytes(segment.Path);
        var offset = WalFormat.HeaderSize;
        var expected = segment.FirstPosition;
        long committedEnd = WalFormat.HeaderSize;
        var committedPosition = segment.FirstPosition - 1;
        var damaged = false;
        while (offset < bytes.Length)
        {
            var record = TryReadRecord(bytes, offset, out var size, out var endOfBatch);
            if (record is null || record.Position != expected)
            {
                damaged = true;
                break;
            }

            segment.AddToIndex(record.Position, offset);
            expected++;
            offset += size;
            if (endOfBatch)
            {
                committedEnd = offset;
                committedPosition = record.Position;
            }
        }

        segment.TrimIndex(committedPosition);

        if (damaged && HasCommittedRecordAfter(bytes, offset + 1, committedPosition) is { } found)
        {
            throw Corrupt(segment.Path, $"the record at byte {offset} (position {expected}) is damaged, yet committed records follow it (position {found})");
        }

        if (committedEnd < bytes.Length)
        {
            using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
            RandomAccess.SetLength(handle, committedEnd);
            RandomAccess.FlushToDisk(handle);
            ReportDiscardedTail(segment, bytes, committedEnd, committedPosition, damaged ? offset : null, expected);
        }

        segment.Length = committedEnd;
        segment.LastPosition = committedPosition;
    }

    /// <summary>
    /// Says what the discarded tail was, as far as its bytes tell. Whole records with no end-of-batch mark after
    /// them, possibly followed by a record the file ends inside of (or by zeros: the file grew but the data never
    /// landed), are what a write interrupted by a crash leaves: that batch was never acknowledged, since an append is
    /// acknowledged only after its whole batch is written (and synced, with <see cref="WalDurability.Fsync"/>). A
    /// record whose bytes are all there but wrong can be a torn write too, or damage to records that were
    /// acknowledged: their end-of-batch marks would be in the damaged bytes, so recovery cannot tell, and says so.
    /// </summary>
    private void ReportDiscardedTail(Segment segment, byte[] bytes, long committedEnd, long committedPosition, int? damagedAt, long damagedPosition)
    {
        var discarded = bytes.Length - committedEnd;
        var file = Path.GetFileName(segment.Path);
        var whole = damagedPosition - 1 - committedPosition;
        var rest = damagedAt is { } at ? bytes.AsSpan(at) : [];
        string? unfinished = null;
        if (rest.IsEmpty)
        {
            unfinished = "";
        }
        else if (rest.Length < WalFormat.RecordPrefixSize || WalFormat.ReadBodyLength(rest) > rest.Length - WalFormat.RecordPrefixSize)
        {
            unfinished = $"{rest.Length} bytes of a record the file ends inside of";
        }
        else if (!rest.ContainsAnyExcept((byte)0))
        {
            unfinished = $"{rest.Length} bytes of zeros, never written";
        }

        if (unfinished is null)
        {
            LogDamagedTail(_logger, _directory, discarded, committedPosition, file, damagedAt!.Value, damagedPosition);
            return;
        }

        var records = whole switch
        {
            0 => "",
            1 => $"record {committedPosition + 1} whole but without its batch's end",
            _ => $"records {committedPosition + 1} to {committedPosition + whole} whole but without their batch's end",
        };
        var found = records.Length > 0 && unfinished.Length > 0 ? $"{records}, then {unfinished}" : records + unfinished;
        var acknowledged = _options.Durability == WalDurability.Fsync
            ? "If a crash interrupted that write, none of these records was acknowledged: an append is acknowledged only once its whole batch is synced to disk"
            : "If only the process crashed, none of these records was acknowledged; after a power loss some may have been, since with OsBuffered durability an append is acknowledged once its batch is handed to the operating system";
        LogIncompleteBatch(_logger, _directory, discarded, committedPosition, file, found, acknowledged);
    }

    private static long? HasCommittedRecordAfter(byte[] bytes, int from, long afterPosition)
    {
        for (var offset = from; offset + WalFormat.RecordPrefixSize + WalFormat.FixedBodySize <= bytes.Length; offset++)
        {
            if (TryReadRecord(bytes, offset, out _, out var endOfBatch) is { } record && endOfBatch && record.Position > afterPosition)
            {
                return record.Position;
            }
        }

        return null;
    }

    /// <summary>Decodes the record at <paramref name="offset"/>; null when it is incomplete, fails its checksum or is malformed.</summary>
    private static WalRecord? TryReadRecord(ReadOnlySpan<byte> bytes, int offset, out int size, out bool endOfBatch)
    {
        size = 0;
        endOfBatch = false;
        var rest = bytes[offset..];
        if (rest.Length < WalFormat.RecordPrefixSize)
        {
            return null;
        }

        var bodyLength = WalFormat.ReadBodyLength(rest);
        if (bodyLength < WalFormat.FixedBodySize || bodyLength > rest.Length - WalFormat.RecordPrefixSize)
        {
            return null;
        }

        if (!WalFormat.ChecksumMatches(rest))
        {
            return null;
        }

        var record = WalFormat.Decode(rest.Slice(WalFormat.RecordPrefixSize, bodyLength), out endOfBatch);
        size = WalFormat.RecordPrefixSize + bodyLength;
        return record;
    }

    /// <summary>Reads one segment's records from <paramref name="fromPosition"/> up to its durable length, verifying every checksum.</summary>
    private static IEnumerable<WalRecord> ReadSegment(Segment segment, long fromPosition)
    {
        using var file = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var buffer = new byte[ReadBufferSize];
        var (expected, fileOffset) = segment.StartFor(fromPosition);
        var filled = 0;
        var start = 0;
        while (fileOffset < segment.Length)
        {
            var available = filled - start;
            if (available < WalFormat.RecordPrefixSize || available < WalFormat.RecordPrefixSize + WalFormat.ReadBodyLength(buffer.AsSpan(start)))
            {
                // Move the partial record to the front and read more (growing for a record larger than the buffer).
                var needed = available < WalFormat.RecordPrefixSize ? WalFormat.RecordPrefixSize : WalFormat.RecordPrefixSize + WalFormat.ReadBodyLength(buffer.AsSpan(start));
                if (needed > segment.Length - fileOffset)
                {
                    throw Corrupt(segment.Path, $"the record at byte {fileOffset} (position {expected}) runs past the durable end of the segment");
                }

                if (needed > buffer.Length)
                {
                    Array.Resize(ref buffer, needed);
                }

                Buffer.BlockCopy(buffer, start, buffer, 0, available);
                filled = available;
                start = 0;
                var want = (int)Math.Min(buffer.Length - filled, segment.Length - fileOffset - available);
                file.Position = fileOffset + available;
                while (want > 0)
                {
                    var n = file.Read(buffer, filled, want);
                    if (n == 0)
                    {
                        throw Corrupt(segment.Path, $"the file ends before its durable length {segment.Length}");
                    }

                    filled += n;
                    want -= n;
                }

                continue;
            }

            var record = TryReadRecord(buffer.AsSpan(0, filled), start, out var size, out _);
            if (record is null || record.Position != expected)
            {
                throw Corrupt(segment.Path, $"the record at byte {fileOffset} (expected position {expected}) is damaged");
            }

            start += size;
            fileOffset += size;
            expected++;
            if (record.Position >= fromPosition)
            {
                yield return record;
            }
        }

        if (expected - 1 != segment.LastPosition)
        {
            throw Corrupt(segment.Path, $"it ends at position {expected - 1}, but the next segment starts at {segment.LastPosition + 1}");
        }
    }

    private static SymphainyException Corrupt(string file, string problem) => new(
        ErrorCodes.WalCorruptRecord,
        $"The write-ahead log segment {file} is damaged: {problem}. Restore it from a backup or archive; the log is never read past damage.");
}
