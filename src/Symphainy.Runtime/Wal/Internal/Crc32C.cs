using System.Buffers.Binary;
using System.Numerics;

namespace Symphainy.Wal.Internal;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every log record. System.IO.Hashing has no CRC-32C, so this
/// uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which is the SSE4.2 / ARMv8 CRC instruction where
/// the processor has one and a software table elsewhere.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Start, data));

    public const uint Start = 0xFFFFFFFFu;

    public static uint Finish(uint crc) => ~crc;

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt32LittleEndian(data));
            data = data[4..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
