using System.Text.Json;
using Symphainy.Internal;
using Symphainy.Sagas;

namespace Symphainy.Wal.Records;

/// <summary>
/// The one definition of the write-ahead log's payload format: encodes every <see cref="WalPayload"/> and decodes
/// every record the Runtime writes. No other code knows the layout.
/// </summary>
/// <remarks>
/// Layout (format <see cref="FormatVersion"/>): one byte of format version, then the payload's fields in a fixed
/// order per record kind. Numbers are LEB128 varints (timestamps and durations: 8-byte little-endian ticks),
/// strings a varint byte count and UTF-8, JSON values a 4-byte little-endian byte count and UTF-8 JSON, optional
/// fields announced by a flags byte. See <c>docs/write-ahead-log.md</c>.
/// </remarks>
public static class WalPayloadCodec
{
    /// <summary>The payload format this build writes and reads. Bumped (and <c>WalFormat</c>'s segment version with it) whenever the layout changes.</summary>
    public const byte FormatVersion = 1;

    /// <summary>How deeply JSON values may nest: what <see cref="System.Text.Json"/> reads back by default.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Encodes <paramref name="payload"/> into a new array.</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>The bytes to append under <see cref="WalPayload.Kind"/>.</returns>
    public static byte[] Encode(WalPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        switch (payload)
        {
            case IntentReceivedPayload intent:
                buffer.WriteString(intent.IntentType);
                buffer.WriteString(intent.Definition);
                buffer.WriteInt32(intent.Version);
                buffer.WriteBlob(intent.Input.Span);
                WriteOptional(buffer, intent.IdempotencyKey);
                WritePairs(buffer, intent.Metadata);

                break;
            case SagaStartedPayload started:
                buffer.WriteString(started.Definition);
                buffer.WriteInt32(started.Version);
                break;
            case StepCompletedPayload step:
                WriteStepHead(buffer, step.Index, step.Name, step.StepKind, step.Due, step.Result is not null);
                if (step.Result is { } result)
                {
                    buffer.WriteBlob(result.Span);
                }

                break;
            case StepFailedPayload failed:
                buffer.WriteInt32(failed.Index);
                buffer.WriteString(failed.Name);
                buffer.WriteByte((byte)failed.StepKind);
                buffer.WriteInt32(failed.Attempt);
                buffer.WriteByte(failed.Final ? (byte)1 : (byte)0);
                WriteError(buffer, failed.Error);
                buffer.WriteInt64(failed.Backoff.Ticks);
                break;
            case SagaSignalledPayload signal:
                buffer.WriteByte((byte)signal.SignalKind);
                buffer.WriteByte((byte)((signal.Name is null ? 0 : 1) | (signal.Index is null ? 0 : 2) | (signal.Value is null ? 0 : 4) | (signal.Reason is null ? 0 : 8)));
                if (signal.Name is not null)
                {
                    buffer.WriteString(signal.Name);
                }

                if (signal.Index is { } index)
                {
                    buffer.WriteInt32(index);
                }

                if (signal.Value is { } value)
                {
                    buffer.WriteBlob(value.Span);
                }

                if (signal.Reason is not null)
                {
                    buffer.WriteString(signal.Reason);
                }

                break;
            case SagaCompensatingPayload compensating:
                WriteError(buffer, compensating.Cause);
                break;
            case SagaEndedPayload ended:
                WriteEndHead(buffer, ended.State, ended.Definition, ended.Version, ended.Error, ended.Output is not null);
                if (ended.Output is { } output)
                {
                    buffer.WriteBlob(output.Span);
                }

                break;
            case SessionPayload session:
                buffer.WriteByte(session.EndedAt is null ? (byte)0 : (byte)1);
                buffer.WriteInt64(session.CreatedAt.UtcTicks);
                buffer.WriteInt64(session.ExpiresAt.UtcTicks);
                if (session.EndedAt is { } endedAt)
                {
                    buffer.WriteInt64(endedAt.UtcTicks);
                }

                buffer.WriteInt64(session.Ttl.Ticks);
                WritePairs(buffer, session.Attributes);

                break;
            default:
                throw new ArgumentException($"{payload.GetType().Name} is not a payload this codec writes.", nameof(payload));
        }

        return buffer.ToArray();
    }

    /// <summary>Decodes the payload of <paramref name="record"/>. JSON values are slices of the record's bytes.</summary>
    /// <param name="record">A record the Runtime wrote.</param>
    /// <exception cref="SymphainyException"><c>wal.corrupt_record</c> when the bytes are not a payload of this format.</exception>
    public static WalPayload Decode(WalRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Decode(record.Kind, record.Payload);
    }

    /// <summary>Decodes a payload stored under <paramref name="kind"/>. JSON values are slices of <paramref name="payload"/>.</summary>
    /// <param name="kind">The record kind it was stored under.</param>
    /// <param name="payload">The bytes.</param>
    /// <exception cref="SymphainyException"><c>wal.corrupt_record</c> when the bytes are not a payload of this format.</exception>
    public static WalPayload Decode(WalRecordKind kind, ReadOnlyMemory<byte> payload)
    {
        var reader = Open(payload);
        WalPayload decoded = kind switch
        {
            WalRecordKind.IntentReceived => ReadIntent(ref reader),
            WalRecordKind.SagaStarted => new SagaStartedPayload(reader.ReadString(), reader.ReadInt32()),
            WalRecordKind.StepCompleted or WalRecordKind.AgentOutput => ReadStep(ref reader),
            WalRecordKind.StepFailed => new StepFailedPayload(reader.ReadInt32(), reader.ReadString(), ReadStepKind(ref reader), reader.ReadInt32(), reader.ReadByte() != 0, ReadError(ref reader), TimeSpan.FromTicks(reader.ReadInt64())),
            WalRecordKind.SagaSignalled => ReadSignal(ref reader),
            WalRecordKind.SagaCompensating => new SagaCompensatingPayload(ReadError(ref reader)),
            WalRecordKind.SagaEnded => ReadEnded(ref reader),
            WalRecordKind.SessionStarted or WalRecordKind.SessionEnded => ReadSession(ref reader),
            _ => throw Malformed($"record kind {kind} has no payload format"),
        };
        if (!reader.AtEnd)
        {
            throw Malformed("bytes follow its last field");
        }

        return decoded;
    }

    /// <summary>The idempotency key of an <see cref="WalRecordKind.IntentReceived"/> payload, read without decoding the rest.</summary>
    internal static string? ReadIdempotencyKey(ReadOnlyMemory<byte> payload)
    {
        var reader = Open(payload);
        Skip(ref reader, strings: 2);
        reader.ReadInt32();
        reader.ReadBlob();
        return ReadOptional(ref reader);
    }

    /// <summary>A saga's start, without building its payload record first (the hot path).</summary>
    internal static byte[] EncodeStarted(string definition, int version)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        buffer.WriteString(definition);
        buffer.WriteInt32(version);
        return buffer.ToArray();
    }

    /// <summary>A saga's end, without building its payload record first (the hot path).</summary>
    internal static byte[] EncodeEnded(SagaState state, string definition, int version, ReadOnlySpan<byte> output, bool hasOutput, SagaError? error)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        WriteEndHead(buffer, state, definition, version, error, hasOutput);
        if (hasOutput)
        {
            buffer.WriteBlob(output);
        }

        return buffer.ToArray();
    }

    /// <summary>A completed saga's end with its output serialized straight into the payload; <paramref name="outputRange"/> is where the output lies.</summary>
    internal static byte[] EncodeCompleted<T>(string definition, int version, T output, out Range outputRange)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        WriteEndHead(buffer, SagaState.Completed, definition, version, null, hasOutput: true);
        var start = buffer.Length + 4;
        buffer.WriteJson(output, SymphainyJson.Options);
        outputRange = start..buffer.Length;
        return buffer.ToArray();
    }

    /// <summary>A completed step whose result is serialized straight into the payload (the hot path: no intermediate copy).</summary>
    internal static byte[] EncodeStep<T>(int index, string name, StepKind kind, T result)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        WriteStepHead(buffer, index, name, kind, null, hasResult: true);
        buffer.WriteJson(result, SymphainyJson.Options);
        return buffer.ToArray();
    }

    /// <summary>
    /// An intent whose input is written straight from the caller's JSON element; <paramref name="input"/> is where
    /// the input's JSON lies in the result. Throws <see cref="InvalidOperationException"/> for input nested deeper
    /// than <see cref="MaxJsonDepth"/>.
    /// </summary>
    internal static byte[] EncodeIntent(string type, string definition, int version, JsonElement input, string? key, IReadOnlyDictionary<string, string>? metadata, out Range inputRange)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteByte(FormatVersion);
        buffer.WriteString(type);
        buffer.WriteString(definition);
        buffer.WriteInt32(version);
        var start = buffer.Length + 4;
        buffer.WriteJson(input);
        inputRange = start..buffer.Length;
        WriteOptional(buffer, key);
        WritePairs(buffer, metadata);

        return buffer.ToArray();
    }

    /// <summary>How many bytes <paramref name="value"/> takes as recorded JSON; throws <see cref="InvalidOperationException"/> when nested deeper than <see cref="MaxJsonDepth"/>.</summary>
    internal static int JsonSize(JsonElement value)
    {
        var buffer = PayloadBuffer.Rent();
        buffer.WriteJson(value);
        return buffer.Length - 4;
    }

    internal static SymphainyException Malformed(string problem) =>
        new(ErrorCodes.WalCorruptRecord, $"A write-ahead log record's payload cannot be decoded: {problem}.");

    private static PayloadReader Open(ReadOnlyMemory<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var version = payload.IsEmpty ? (byte)0 : reader.ReadByte();
        if (version != FormatVersion)
        {
            throw Malformed($"its format version is {version}; this build reads version {FormatVersion}");
        }

        return reader;
    }

    private static void WriteStepHead(PayloadBuffer buffer, int index, string name, StepKind kind, DateTimeOffset? due, bool hasResult)
    {
        buffer.WriteInt32(index);
        buffer.WriteString(name);
        buffer.WriteByte((byte)kind);
        buffer.WriteByte((byte)((hasResult ? 1 : 0) | (due is null ? 0 : 2)));
        if (due is { } at)
        {
            buffer.WriteInt64(at.UtcTicks);
        }
    }

    private static void WriteEndHead(PayloadBuffer buffer, SagaState state, string definition, int version, SagaError? error, bool hasOutput)
    {
        buffer.WriteByte((byte)state);
        buffer.WriteString(definition);
        buffer.WriteInt32(version);
        buffer.WriteByte((byte)((hasOutput ? 1 : 0) | (error is null ? 0 : 2)));
        if (error is not null)
        {
            WriteError(buffer, error);
        }
    }

    private static void WriteError(PayloadBuffer buffer, SagaError error)
    {
        buffer.WriteString(error.Code);
        buffer.WriteByte((byte)error.Kind);
        buffer.WriteString(error.Message);
        WriteOptional(buffer, error.Step);
    }

    private static void WritePairs(PayloadBuffer buffer, IReadOnlyDictionary<string, string>? pairs)
    {
        buffer.WriteInt32(pairs?.Count ?? 0);
        if (pairs is not null)
        {
            foreach (var (name, value) in pairs)
            {
                buffer.WriteString(name);
                buffer.WriteString(value);
            }
        }
    }

    private static void WriteOptional(PayloadBuffer buffer, string? value)
    {
        buffer.WriteByte(value is null ? (byte)0 : (byte)1);
        if (value is not null)
        {
            buffer.WriteString(value);
        }
    }

    private static string? ReadOptional(ref PayloadReader reader) => reader.ReadByte() switch
    {
        0 => null,
        1 => reader.ReadString(),
        var flag => throw Malformed($"an optional field has flag {flag}"),
    };

    private static void Skip(ref PayloadReader reader, int strings)
    {
        for (var i = 0; i < strings; i++)
        {
            reader.ReadString();
        }
    }

    private static IntentReceivedPayload ReadIntent(ref PayloadReader reader)
    {
        var type = reader.ReadString();
        var definition = reader.ReadString();
        var version = reader.ReadInt32();
        var input = reader.ReadBlob();
        var key = ReadOptional(ref reader);
        var count = ReadEntryCount(ref reader);
        Dictionary<string, string>? metadata = null;
        if (count > 0)
        {
            metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                metadata[reader.ReadString()] = reader.ReadString();
            }
        }

        return new IntentReceivedPayload(type, definition, version, input, key, metadata);
    }

    private static StepCompletedPayload ReadStep(ref PayloadReader reader)
    {
        var index = reader.ReadInt32();
        var name = reader.ReadString();
        var kind = ReadStepKind(ref reader);
        var flags = reader.ReadByte();
        DateTimeOffset? due = (flags & 2) != 0 ? ReadInstant(ref reader) : null;
        // Not "? ... : null": null converts to an empty ReadOnlyMemory through its array conversion, which reads as present.
        ReadOnlyMemory<byte>? result = (flags & 1) != 0 ? reader.ReadBlob() : default(ReadOnlyMemory<byte>?);
        return new StepCompletedPayload(index, name, kind, result, due);
    }

    private static StepKind ReadStepKind(ref PayloadReader reader)
    {
        var kind = (StepKind)reader.ReadByte();
        return Enum.IsDefined(kind) ? kind : throw Malformed($"step kind {(byte)kind} is unknown");
    }

    /// <summary>A count of name/value entries: each takes two bytes at least, so a larger count is damage (and must not size a dictionary).</summary>
    private static int ReadEntryCount(ref PayloadReader reader)
    {
        var count = reader.ReadInt32();
        return count <= reader.Remaining / 2 ? count : throw Malformed($"it counts {count} entries in the {reader.Remaining} bytes that follow");
    }

    private static DateTimeOffset ReadInstant(ref PayloadReader reader)
    {
        var ticks = reader.ReadInt64();
        return ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : throw Malformed($"a time of {ticks} ticks is outside the calendar");
    }

    private static SagaSignalledPayload ReadSignal(ref PayloadReader reader)
    {
        var kind = (SignalKind)reader.ReadByte();
        if (!Enum.IsDefined(kind))
        {
            throw Malformed($"signal kind {(byte)kind} is unknown");
        }

        var flags = reader.ReadByte();
        var name = (flags & 1) != 0 ? reader.ReadString() : null;
        int? index = (flags & 2) != 0 ? reader.ReadInt32() : null;
        ReadOnlyMemory<byte>? value = (flags & 4) != 0 ? reader.ReadBlob() : default(ReadOnlyMemory<byte>?);
        var reason = (flags & 8) != 0 ? reader.ReadString() : null;
        return new SagaSignalledPayload(kind, name, index, value, reason);
    }

    private static SagaEndedPayload ReadEnded(ref PayloadReader reader)
    {
        var state = (SagaState)reader.ReadByte();
        if (state is not (SagaState.Completed or SagaState.Failed or SagaState.Cancelled))
        {
            throw Malformed($"a saga cannot end in state {state}");
        }

        var definition = reader.ReadString();
        var version = reader.ReadInt32();
        var flags = reader.ReadByte();
        var error = (flags & 2) != 0 ? ReadError(ref reader) : null;
        ReadOnlyMemory<byte>? output = (flags & 1) != 0 ? reader.ReadBlob() : default(ReadOnlyMemory<byte>?);
        return new SagaEndedPayload(state, definition, version, output, error);
    }

    private static SagaError ReadError(ref PayloadReader reader)
    {
        var code = reader.ReadString();
        var kind = (ErrorKind)reader.ReadByte();
        return new SagaError(code, Enum.IsDefined(kind) ? kind : throw Malformed($"error kind {(byte)kind} is unknown"), reader.ReadString(), ReadOptional(ref reader));
    }

    private static SessionPayload ReadSession(ref PayloadReader reader)
    {
        var ended = reader.ReadByte() switch
        {
            0 => false,
            1 => true,
            var flag => throw Malformed($"a session's end flag is {flag}"),
        };
        var created = ReadInstant(ref reader);
        var expires = ReadInstant(ref reader);
        DateTimeOffset? endedAt = ended ? ReadInstant(ref reader) : null;
        var ttl = TimeSpan.FromTicks(reader.ReadInt64());
        var count = ReadEntryCount(ref reader);
        var attributes = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            attributes[reader.ReadString()] = reader.ReadString();
        }

        return new SessionPayload(created, expires, endedAt, ttl, attributes);
    }
}
