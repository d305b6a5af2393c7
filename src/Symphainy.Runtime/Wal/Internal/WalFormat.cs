using System.Buffers.Binary;

namespace Symphainy.Wal.Internal;

/// <summary>
/// The on-disk format of the segmented file log (all integers little-endian).
/// <code>
/// segment = header(32) record*
/// header  = magic "SYWL" | u16 version | u16 reserved | i64 firstPosition | i64 createdUnixMs | u32 reserved | u32 crc32c(bytes 0..27)
/// record  = u32 bodyLength | u32 crc32c(bodyLength bytes + body) | body
/// body    = i64 position | i64 utcTicks | u8 kind | u8 flags | u16 reserved | tenant(16) | [session(16)] [saga(16)] [intent(16)] | payload
/// flags   = bit0 session, bit1 saga, bit2 intent, bit7 end of batch (the last record of one group-commit write)
/// </code>
/// Recovery keeps whole batches only. Records after the last end-of-batch record were never acknowledged if a crash
/// cut the write short; damaged bytes there may also have held acknowledged batches (see FileWriteAheadLog recovery).
/// </summary>
internal static class WalFormat
{
    public const int HeaderSize = 32;
    public const ushort Version = 2; // 2: payloads in the binary layout of WalPayloadCodec (1 held JSON payloads)
    public const int RecordPrefixSize = 8;
    public const int FixedBodySize = 8 + 8 + 1 + 1 + 2 + 16;
    public const int IdSize = 16;
    public const string SegmentExtension = ".wal";

    public const byte HasSession = 1 << 0;
    public const byte HasSaga = 1 << 1;
    public const byte HasIntent = 1 << 2;
    public const byte EndOfBatch = 1 << 7;
    private const byte KnownFlags = HasSession | HasSaga | HasIntent | EndOfBatch;

    private static ReadOnlySpan<byte> Magic => "SYWL"u8;

    public static string SegmentFileName(long firstPosition) => firstPosition.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + SegmentExtension;

    public static void WriteHeader(Span<byte> destination, long firstPosition, long createdUnixMs)
    {
        destination[..HeaderSize].Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], firstPosition);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], createdUnixMs);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], Crc32C.Compute(destination[..28]));
    }

    /// <summary>Reads a header; null when it is not a valid header of a supported version.</summary>
    public static long? ReadHeader(ReadOnlySpan<byte> source, out string? problem)
    {
        problem = null;
        if (source.Length < HeaderSize)
        {
            problem = "the segment header is incomplete";
            return null;
        }

        if (!source[..4].SequenceEqual(Magic))
        {
            problem = "the file does not start with the segment magic 'SYWL'";
            return null;
        }

        if (Crc32C.Compute(source[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(source[28..]))
        {
            problem = "the segment header fails its checksum";
            return null;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(source[4..]);
        if (version != Version)
        {
            problem = $"the segment format version is {version}; this build reads version {Version}";
            return null;
        }

        return BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
    }

    public static int EncodedSize(in WalEntry entry) =>
        RecordPrefixSize + FixedBodySize
        + (entry.Session is null ? 0 : IdSize)
        + (entry.Saga is null ? 0 : IdSize)
        + (entry.Intent is null ? 0 : IdSize)
        + entry.Payload.Length;

    /// <summary>Encodes one record into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(Span<byte> destination, in WalEntry entry, long position, long utcTicks, bool endOfBatch)
    {
        var flags = (byte)((entry.Session is null ? 0 : HasSession)
            | (entry.Saga is null ? 0 : HasSaga)
            | (entry.Intent is null ? 0 : HasIntent)
            | (endOfBatch ? EndOfBatch : 0));
        var size = EncodedSize(entry);
        var body = destination[RecordPrefixSize..size];
        BinaryPrimitives.WriteInt64LittleEndian(body, position);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], utcTicks);
        body[16] = (byte)entry.Kind;
        body[17] = flags;
        body[18] = 0;
        body[19] = 0;
        var offset = 20;
        WriteId(body, ref offset, entry.Tenant.Value);
        if (entry.Session is { } session)
        {
            WriteId(body, ref offset, session.Value);
        }

        if (entry.Saga is { } saga)
        {
            WriteId(body, ref offset, saga.Value);
        }

        if (entry.Intent is { } intent)
        {
            WriteId(body, ref offset, intent.Value);
        }

        entry.Payload.Span.CopyTo(body[offset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)body.Length);
        var crc = Crc32C.Append(Crc32C.Start, destination[..4]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Finish(Crc32C.Append(crc, body)));
        return size;
    }

    /// <summary>Reads the body length of the record at the start of <paramref name="source"/>.</summary>
    public static int ReadBodyLength(ReadOnlySpan<byte> source) => (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(source), int.MaxValue);

    /// <summary>Whether the record (prefix + body) at the start of <paramref name="record"/> has a matching checksum.</summary>
    public static bool ChecksumMatches(ReadOnlySpan<byte> record)
    {
        var bodyLength = ReadBodyLength(record);
        var crc = Crc32C.Append(Crc32C.Start, record[..4]);
        crc = Crc32C.Finish(Crc32C.Append(crc, record.Slice(RecordPrefixSize, bodyLength)));
        return crc == BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
    }

    /// <summary>Decodes a checksummed body; null if its fields are inconsistent.</summary>
    public static WalRecord? Decode(ReadOnlySpan<byte> body, out bool endOfBatch)
    {
        endOfBatch = false;
        if (body.Length < FixedBodySize)
        {
            return null;
        }

        var flags = body[17];
        if ((flags & ~KnownFlags) != 0 || body[16] is 0 or > (byte)WalRecordKind.SagaCompensating)
        {
            return null;
        }

        var idCount = ((flags & HasSession) != 0 ? 1 : 0) + ((flags & HasSaga) != 0 ? 1 : 0) + ((flags & HasIntent) != 0 ? 1 : 0);
        if (body.Length < FixedBodySize + (idCount * IdSize))
        {
            return null;
        }

        endOfBatch = (flags & EndOfBatch) != 0;
        var position = BinaryPrimitives.ReadInt64LittleEndian(body);
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return null;
        }

        var offset = 20;
        var tenant = ReadId(body, ref offset);
        Guid? session = (flags & HasSession) != 0 ? ReadId(body, ref offset) : null;
        Guid? saga = (flags & HasSaga) != 0 ? ReadId(body, ref offset) : null;
        Guid? intent = (flags & HasIntent) != 0 ? ReadId(body, ref offset) : null;
        return new WalRecord(
            position,
            new DateTimeOffset(ticks, TimeSpan.Zero),
            (WalRecordKind)body[16],
            TenantId.FromGuid(tenant),
            body[offset..].ToArray(),
            session is { } s ? SessionId.FromGuid(s) : null,
            saga is { } g ? SagaId.FromGuid(g) : null,
            intent is { } i ? IntentId.FromGuid(i) : null);
    }

    private static void WriteId(Span<byte> body, ref int offset, Guid value)
    {
        value.TryWriteBytes(body[offset..], bigEndian: true, out _);
        offset += IdSize;
    }

    private static Guid ReadId(ReadOnlySpan<byte> body, ref int offset)
    {
        var value = new Guid(body.Slice(offset, IdSize), bigEndian: true);
        offset += IdSize;
        return value;
    }
}
