using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Symphainy.Wal.Records;

/// <summary>
/// A growable byte buffer the codec writes a payload into: one per thread, reused, so encoding allocates only the
/// finished payload. JSON values are serialized straight into it through a reused <see cref="Utf8JsonWriter"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One per thread for the thread's life; the writer holds no unmanaged resources.")]
internal sealed class PayloadBuffer : IBufferWriter<byte>
{
    private const int InitialSize = 512;
    private const int KeepAtMost = 64 * 1024;

    [ThreadStatic]
    private static PayloadBuffer? t_current;

    private byte[] _buffer = new byte[InitialSize];
    private int _length;
    private Utf8JsonWriter? _json;

    /// <summary>This thread's buffer, emptied.</summary>
    public static PayloadBuffer Rent()
    {
        var buffer = t_current ??= new PayloadBuffer();
        buffer._length = 0;
        if (buffer._buffer.Length > KeepAtMost)
        {
            buffer._buffer = new byte[InitialSize]; // one large payload does not pin a large buffer for good
        }

        return buffer;
    }

    public int Length => _length;

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_length);
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteVarUInt(uint value)
    {
        Ensure(5);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    public void WriteInt32(int value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Recorded counts and versions are never negative.");
        }

        WriteVarUInt((uint)value);
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((uint)bytes);
        Ensure(bytes);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Writes bytes with a fixed 4-byte length (so JSON serialized in place can be patched in).</summary>
    public void WriteBlob(ReadOnlySpan<byte> value)
    {
        Ensure(4 + value.Length);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), value.Length);
        _length += 4;
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes a JSON value as a length-prefixed blob, serialized in place.</summary>
    public void WriteJson<T>(T value, JsonSerializerOptions options)
    {
        var start = BeginBlob();
        var json = Json();
        try
        {
            JsonSerializer.Serialize(json, value, options);
            json.Flush();
        }
        finally
        {
            json.Reset(); // a failed write leaves the writer mid-value; the next payload starts clean
        }

        EndBlob(start);
    }

    /// <summary>Writes a JSON element as a length-prefixed blob.</summary>
    public void WriteJson(JsonElement value)
    {
        var start = BeginBlob();
        var json = Json();
        try
        {
            value.WriteTo(json);
            json.Flush();
        }
        finally
        {
            json.Reset();
        }

        EndBlob(start);
    }

    private Utf8JsonWriter Json()
    {
        if (_json is null)
        {
            // Nothing deeper than readers take by default is written: what is recorded must read back.
            _json = new Utf8JsonWriter(this, new JsonWriterOptions { MaxDepth = WalPayloadCodec.MaxJsonDepth });
        }
        else
        {
            _json.Reset(this);
        }

        return _json;
    }

    // Blobs written in place get their 4-byte length patched once their size is known.
    private int BeginBlob()
    {
        Ensure(4);
        _length += 4;
        return _length;
    }

    private void EndBlob(int start) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(start - 4), _length - start);

    private void Ensure(int more)
    {
        if (_buffer.Length - _length >= more)
        {
            return;
        }

        var grown = new byte[Math.Max(_buffer.Length * 2, _length + Math.Max(more, InitialSize))];
        _buffer.AsSpan(0, _length).CopyTo(grown);
        _buffer = grown;
    }
}
