using System.Buffers.Binary;
using System.IO.Hashing;

namespace Symphainy.LoadHarness;

/// <summary>
/// The naive baseline: one <see cref="FileStream"/>, and for every append, under one lock, length + CRC-32 +
/// payload written and then <c>Flush(flushToDisk: true)</c>: one write and one fsync per record. What a log
/// without group commit costs. Shared with Symphainy.Benchmarks (linked source).
/// </summary>
internal sealed class NaiveLog : IDisposable
{
    private readonly FileStream _file;
    private readonly bool _fsync;
    private readonly Lock _gate = new();

    /// <summary>Creates the log file, which must not exist.</summary>
    /// <param name="path">The file.</param>
    /// <param name="fsync">True: fsync after every record. False: only hand each record to the OS (one write per record).</param>
    public NaiveLog(string path, bool fsync = true)
    {
        // The stream's buffer gathers header and payload so the flush issues them as one write.
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        _fsync = fsync;
    }

    /// <summary>Appends one record and returns once it is durable; returns the file's new length.</summary>
    public ValueTask<long> AppendAsync(ReadOnlyMemory<byte> payload)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.HashToUInt32(payload.Span));
        lock (_gate)
        {
            _file.Write(header);
            _file.Write(payload.Span);
            _file.Flush(flushToDisk: _fsync);
            return ValueTask.FromResult(_file.Position);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
