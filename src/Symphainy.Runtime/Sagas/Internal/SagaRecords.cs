using System.Buffers;
using System.Text.Json;
using Symphainy.Internal;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// The JSON payloads the engine writes to the log. Keys are short because there are many records:
/// <code>
/// IntentReceived  {"t":type,"d":definition,"v":version,"p":payload,"k":idempotencyKey?,"md":{metadata}}
/// SagaStarted     {"d":definition,"v":version}
/// StepCompleted   {"i":index,"n":name,"k":"step"|"timer"|"wait"|"comp","r":result?,"due":utc?}
/// AgentOutput     {"i":index,"n":name,"k":"agent","r":result}
/// StepFailed      {"i":index,"n":name,"a":attempt,"f":final,"c":code,"ek":kind,"m":message,"d":backoffMs}
/// SagaSignalled   {"k":"signal","n":name,"v":value} | {"k":"timer","i":index} | {"k":"timeout","i":index} | {"k":"cancel","m":reason}
/// SagaEnded       {"s":state,"d":definition,"v":version,"o":output?,"c":code?,"ek":kind?,"m":message?,"st":step?}
/// </code>
/// </summary>
internal static class SagaRecords
{
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_writer;

    /// <summary>Writes one JSON object; the buffer and writer are reused per thread, only the result is allocated.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var (buffer, writer) = t_writer ??= Create();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) Create()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        return (buffer, new Utf8JsonWriter(buffer));
    }

    /// <summary>A completed step with its result serialized straight into the record.</summary>
    public static byte[] Step<T>(int index, string name, string kind, T result) => Write(w =>
    {
        w.WriteNumber("i", index);
        w.WriteString("n", name);
        w.WriteString("k", kind);
        w.WritePropertyName("r");
        JsonSerializer.Serialize(w, result, SymphainyJson.Options);
    });

    public static byte[] Step(int index, string name, string kind, JsonElement? result = null, DateTimeOffset? due = null) => Write(w =>
    {
        w.WriteNumber("i", index);
        w.WriteString("n", name);
        w.WriteString("k", kind);
        if (result is { } r)
        {
            w.WritePropertyName("r");
            r.WriteTo(w);
        }

        if (due is { } d)
        {
            w.WriteString("due", d);
        }
    });

    public static byte[] Failed(int index, string name, int attempt, bool final, SagaError error, TimeSpan backoff) => Write(w =>
    {
        w.WriteNumber("i", index);
        w.WriteString("n", name);
        w.WriteNumber("a", attempt);
        w.WriteBoolean("f", final);
        w.WriteString("c", error.Code);
        w.WriteString("ek", error.Kind.ToString());
        w.WriteString("m", error.Message);
        w.WriteNumber("d", (long)backoff.TotalMilliseconds);
    });

    public static byte[] Signal(string kind, string? name = null, JsonElement? value = null, int? index = null, string? message = null) => Write(w =>
    {
        w.WriteString("k", kind);
        if (name is not null)
        {
            w.WriteString("n", name);
        }

        if (value is { } v)
        {
            w.WritePropertyName("v");
            v.WriteTo(w);
        }

        if (index is { } i)
        {
            w.WriteNumber("i", i);
        }

        if (message is not null)
        {
            w.WriteString("m", message);
        }
    });

    public static byte[] Ended(SagaDefinition definition, SagaState state, JsonElement? output, SagaError? error) => Write(w =>
    {
        w.WriteString("s", state.ToString());
        w.WriteString("d", definition.Name);
        w.WriteNumber("v", definition.Version);
        if (output is { } o)
        {
            w.WritePropertyName("o");
            o.WriteTo(w);
        }

        if (error is not null)
        {
            w.WriteString("c", error.Code);
            w.WriteString("ek", error.Kind.ToString());
            w.WriteString("m", error.Message);
            if (error.Step is not null)
            {
                w.WriteString("st", error.Step);
            }
        }
    });

    public static SagaError ReadError(JsonElement record, string? step) => new(
        record.GetProperty("c").GetString()!,
        Enum.Parse<ErrorKind>(record.GetProperty("ek").GetString()!),
        record.GetProperty("m").GetString()!,
        step);

    public static JsonElement Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }
}
