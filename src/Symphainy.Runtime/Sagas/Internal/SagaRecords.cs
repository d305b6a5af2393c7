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
/// SagaEnded       {"s":state,"o":output?,"c":code?,"ek":kind?,"m":message?,"st":step?}
/// </code>
/// </summary>
internal static class SagaRecords
{
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

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

    public static byte[] Ended(SagaState state, JsonElement? output, SagaError? error) => Write(w =>
    {
        w.WriteString("s", state.ToString());
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

    public static JsonElement Serialize<T>(T value) => JsonSerializer.SerializeToElement(value, SymphainyJson.Options);
}
