using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Symphainy.LoadHarness;

/// <summary>
/// The naive baseline: every append, under one lock, is one write of length + checksum + payload and one
/// fsync. What a log without group commit costs.
/// </summary>
internal sealed class NaiveFsyncLog : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly Lock _gate = new();
    private long _length;

    public NaiveFsyncLog(string path) => _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);

    public ValueTask AppendAsync(ReadOnlyMemory<byte> payload)
    {
        var record = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32.HashToUInt32(payload.Span));
        payload.Span.CopyTo(record.AsSpan(8));
        lock (_gate)
        {
            RandomAccess.Write(_file, record, _length);
            RandomAccess.FlushToDisk(_file);
            _length += record.Length;
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose() => _file.Dispose();
}
