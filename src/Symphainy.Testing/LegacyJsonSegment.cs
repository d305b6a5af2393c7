using System.Buffers.Binary;
using System.Numerics;
using System.Text.Json;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Testing;

/// <summary>
/// Reads a log segment of format version 1 (the layout of version 2 with JSON payloads of one-letter keys, before the
/// typed payload codec) and converts its saga records to today's typed payloads, so recordings made then replay now.
/// The Runtime itself refuses such segments; only recordings need them.
/// </summary>
/// <remarks>
/// Version 1 payloads, per record kind:
/// <code>
/// IntentReceived  {"t":type,"d":definition,"v":version,"p":payload,"k":idempotencyKey?,"md":{metadata}?}
/// SagaStarted     {"d":definition,"v":version}
/// StepCompleted   {"i":index,"n":name,"k":"step"|"timer"|"wait"|"comp","r":result?,"due":utc?}
/// AgentOutput     {"i":index,"n":name,"k":"agent","r":result}
/// StepFailed      {"i":index,"n":name,"a":attempt,"f":final,"c":code,"ek":kind,"m":message,"d":backoffMs}
/// SagaSignalled   {"k":"signal","n":name,"v":value} | {"k":"timer","i":index} | {"k":"timeout","i":index} | {"k":"cancel","m":reason}
/// SagaEnded       {"s":state,"d":definition,"v":version,"o":output?,"c":code?,"ek":kind?,"m":message?,"st":step?}
/// </code>
/// Session records are skipped (version 1 had no session payload worth replaying).
/// </remarks>
internal static class LegacyJsonSegment
{
    private const int HeaderSize = 32;
    private const int FixedBodySize = 8 + 8 + 1 + 1 + 2 + 16;
    private const byte HasSession = 1, HasSaga = 2, HasIntent = 4;

    public static List<WalRecord> Read(byte[] bytes, string path)
    {
        if (Crc32C(bytes.AsSpan(0, 28)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)))
        {
            throw ExecutionRecording.Invalid(path, "the version 1 segment header fails its checksum");
        }

        var records = new List<WalRecord>();
        var offset = HeaderSize;
        while (offset + 8 <= bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            if (length == 0)
            {
                break; // zeros after the last record: the file grew but nothing more landed
            }

            if (length < FixedBodySize || offset + 8 + length > bytes.Length)
            {
                throw ExecutionRecording.Invalid(path, $"the record at byte {offset} is cut short");
            }

            var crc = Crc32CAppend(0xFFFFFFFFu, bytes.AsSpan(offset, 4));
            crc = ~Crc32CAppend(crc, bytes.AsSpan(offset + 8, length));
            if (crc != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 4)))
            {
                throw ExecutionRecording.Invalid(path, $"the record at byte {offset} fails its checksum");
            }

            if (Convert(bytes.AsSpan(offset + 8, length), path) is { } record)
            {
                records.Add(record);
            }

            offset += 8 + length;
        }

        return records;
    }

    private static WalRecord? Convert(ReadOnlySpan<byte> body, string path)
    {
        var position = BinaryPrimitives.ReadInt64LittleEndian(body);
        var ticks = BinaryPrimitives.ReadInt64LittleEndian(body[8..]);
        var kind = (WalRecordKind)body[16];
        var flags = body[17];
        var offset = 20;
        var tenant = TenantId.FromGuid(ReadId(body, ref offset));
        SessionId? session = (flags & HasSession) != 0 ? SessionId.FromGuid(ReadId(body, ref offset)) : null;
        SagaId? saga = (flags & HasSaga) != 0 ? SagaId.FromGuid(ReadId(body, ref offset)) : null;
        IntentId? intent = (flags & HasIntent) != 0 ? IntentId.FromGuid(ReadId(body, ref offset)) : null;
        if (kind is WalRecordKind.SessionStarted or WalRecordKind.SessionEnded)
        {
            return null;
        }

        WalPayload payload;
        try
        {
            using var document = JsonDocument.Parse(body[offset..].ToArray());
            payload = ToPayload(kind, document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw ExecutionRecording.Invalid(path, $"the version 1 {kind} record at position {position} does not decode ({e.Message})");
        }

        return new WalRecord(position, new DateTimeOffset(ticks, TimeSpan.Zero), kind, tenant, WalPayloadCodec.Encode(payload), session, saga, intent);
    }

    private static WalPayload ToPayload(WalRecordKind kind, JsonElement json) => kind switch
    {
        WalRecordKind.IntentReceived => new IntentReceivedPayload(
            json.GetProperty("t").GetString()!, json.GetProperty("d").GetString()!, json.GetProperty("v").GetInt32(), Raw(json.GetProperty("p")),
            Optional(json, "k")?.GetString(),
            Optional(json, "md") is { ValueKind: JsonValueKind.Object } md ? md.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal) : null),
        WalRecordKind.SagaStarted => new SagaStartedPayload(json.GetProperty("d").GetString()!, json.GetProperty("v").GetInt32()),
        WalRecordKind.StepCompleted or WalRecordKind.AgentOutput => new StepCompletedPayload(
            json.GetProperty("i").GetInt32(), json.GetProperty("n").GetString()!, StepKindOf(json.GetProperty("k").GetString()!),
            Optional(json, "r") is { } r ? Raw(r) : null,
            Optional(json, "due") is { } due ? due.GetDateTimeOffset() : null),
        WalRecordKind.StepFailed => new StepFailedPayload(
            json.GetProperty("i").GetInt32(), json.GetProperty("n").GetString()!, StepKind.Step, json.GetProperty("a").GetInt32(), json.GetProperty("f").GetBoolean(),
            new SagaError(json.GetProperty("c").GetString()!, Enum.Parse<ErrorKind>(json.GetProperty("ek").GetString()!), json.GetProperty("m").GetString()!, json.GetProperty("n").GetString()),
            TimeSpan.FromMilliseconds(json.GetProperty("d").GetInt64())),
        WalRecordKind.SagaSignalled => json.GetProperty("k").GetString() switch
        {
            "signal" => new SagaSignalledPayload(SignalKind.Signal, json.GetProperty("n").GetString(), Value: Optional(json, "v") is { } v ? Raw(v) : null),
            "timer" => new SagaSignalledPayload(SignalKind.TimerFired, Optional(json, "n")?.GetString(), json.GetProperty("i").GetInt32()),
            "timeout" => new SagaSignalledPayload(SignalKind.TimedOut, Optional(json, "n")?.GetString(), json.GetProperty("i").GetInt32()),
            "cancel" => new SagaSignalledPayload(SignalKind.Cancel, Reason: Optional(json, "m")?.GetString()),
            var other => throw new FormatException($"unknown signal kind '{other}'"),
        },
        WalRecordKind.SagaEnded => new SagaEndedPayload(
            Enum.Parse<SagaState>(json.GetProperty("s").GetString()!), json.GetProperty("d").GetString()!, json.GetProperty("v").GetInt32(),
            Optional(json, "o") is { } o ? Raw(o) : null,
            Optional(json, "c") is { } c
                ? new SagaError(c.GetString()!, Enum.Parse<ErrorKind>(json.GetProperty("ek").GetString()!), json.GetProperty("m").GetString()!, Optional(json, "st")?.GetString())
                : null),
        _ => throw new FormatException($"record kind {kind} is not one version 1 wrote"),
    };

    private static StepKind StepKindOf(string kind) => kind switch
    {
        "step" => StepKind.Step,
        "agent" => StepKind.Agent,
        "timer" => StepKind.Timer,
        "wait" => StepKind.Wait,
        "comp" => StepKind.Compensation,
        _ => throw new FormatException($"unknown step kind '{kind}'"),
    };

    private static JsonElement? Optional(JsonElement json, string name) => json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static ReadOnlyMemory<byte> Raw(JsonElement value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static Guid ReadId(ReadOnlySpan<byte> body, ref int offset)
    {
        var value = new Guid(body.Slice(offset, 16), bigEndian: true);
        offset += 16;
        return value;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data) => ~Crc32CAppend(0xFFFFFFFFu, data);

    private static uint Crc32CAppend(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
