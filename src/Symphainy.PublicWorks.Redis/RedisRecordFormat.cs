using System.Buffers.Binary;
using System.IO.Hashing;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// One log record as one stream field: <c>[format 1][kind 1][ids present 1][tenant 16][session 16]?[saga 16]?
/// [intent 16]?[timestamp: UTC ticks 8][payload …][CRC-32 of everything before 4]</c>, ids big-endian. The checksum
/// catches a value damaged anywhere between this host and the server.
/// </summary>
internal static class RedisRecordFormat
{
    private const byte Format = 1;
    private const int Fixed = 1 + 1 + 1 + 16 + 8 + 4;

    public static byte[] Encode(in WalEntry entry, DateTimeOffset timestamp)
    {
        var ids = (entry.Session is not null ? 1 : 0) + (entry.Saga is not null ? 1 : 0) + (entry.Intent is not null ? 1 : 0);
        var bytes = new byte[Fixed + (16 * ids) + entry.Payload.Length];
        var span = bytes.AsSpan();
        span[0] = Format;
        span[1] = (byte)entry.Kind;
        span[2] = (byte)((entry.Session is not null ? 1 : 0) | (entry.Saga is not null ? 2 : 0) | (entry.Intent is not null ? 4 : 0));
        var at = 3;
        Write(span, ref at, entry.Tenant.Value);
        if (entry.Session is { } session)
        {
            Write(span, ref at, session.Value);
        }

        if (entry.Saga is { } saga)
        {
            Write(span, ref at, saga.Value);
        }

        if (entry.Intent is { } intent)
        {
            Write(span, ref at, intent.Value);
        }

        BinaryPrimitives.WriteInt64LittleEndian(span[at..], timestamp.UtcTicks);
        at += 8;
        entry.Payload.Span.CopyTo(span[at..]);
        at += entry.Payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32.HashToUInt32(span[..at]));
        return bytes;
    }

    public static WalRecord Decode(long position, byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.Length < Fixed || span[0] != Format
            || BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]) != Crc32.HashToUInt32(span[..^4]))
        {
            throw Corrupt(position);
        }

        var kind = (WalRecordKind)span[1];
        var present = span[2];
        var at = 3;
        var tenant = TenantId.FromGuid(Read(span, ref at));
        SessionId? session = (present & 1) != 0 ? SessionId.FromGuid(Read(span, ref at)) : null;
        SagaId? saga = (present & 2) != 0 ? SagaId.FromGuid(Read(span, ref at)) : null;
        IntentId? intent = (present & 4) != 0 ? IntentId.FromGuid(Read(span, ref at)) : null;
        if (at + 8 + 4 > span.Length)
        {
            throw Corrupt(position);
        }

        var timestamp = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(span[at..]), TimeSpan.Zero);
        at += 8;
        return new WalRecord(position, timestamp, kind, tenant, bytes.AsMemory(at, span.Length - 4 - at), session, saga, intent);
    }

    private static void Write(Span<byte> span, ref int at, Guid id)
    {
        id.TryWriteBytes(span[at..], bigEndian: true, out _);
        at += 16;
    }

    private static Guid Read(ReadOnlySpan<byte> span, ref int at)
    {
        var id = new Guid(span.Slice(at, 16), bigEndian: true);
        at += 16;
        return id;
    }

    private static SymphainyException Corrupt(long position) =>
        new(ErrorCodes.WalCorruptRecord, $"The record at position {position} of the Redis log is damaged (its checksum or layout does not match).");
}
