using System.Buffers.Binary;
using System.Text;

namespace Symphainy.Wal.Records;

/// <summary>Reads what <see cref="PayloadBuffer"/> wrote; JSON blobs are slices of the payload, not copies.</summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public PayloadReader(ReadOnlyMemory<byte> payload)
    {
        _memory = payload;
        _span = payload.Span;
        _position = 0;
    }

    public readonly bool AtEnd => _position == _span.Length;

    public readonly int Remaining => _span.Length - _position;

    public byte ReadByte()
    {
        Need(1);
        return _span[_position++];
    }

    public uint ReadVarUInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw WalPayloadCodec.Malformed("a variable-length number runs past five bytes");
    }

    public int ReadInt32()
    {
        var value = ReadVarUInt();
        return value <= int.MaxValue ? (int)value : throw WalPayloadCodec.Malformed("a count is out of range");
    }

    public long ReadInt64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadInt64LittleEndian(_span[_position..]);
        _position += 8;
        return value;
    }

    public string ReadString()
    {
        var length = ReadInt32();
        Need(length);
        var value = Encoding.UTF8.GetString(_span.Slice(_position, length));
        _position += length;
        return value;
    }

    public ReadOnlyMemory<byte> ReadBlob()
    {
        Need(4);
        var length = BinaryPrimitives.ReadInt32LittleEndian(_span[_position..]);
        _position += 4;
        if (length < 0)
        {
            throw WalPayloadCodec.Malformed("a value has a negative length");
        }

        Need(length);
        var value = _memory.Slice(_position, length);
        _position += length;
        return value;
    }

    private readonly void Need(int count)
    {
        if (count < 0 || _span.Length - _position < count)
        {
            throw WalPayloadCodec.Malformed("it ends in the middle of a field");
        }
    }
}
