using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphainy;

/// <summary>Reads and writes a typed id as its string form, also as a dictionary key.</summary>
/// <typeparam name="T">The id type.</typeparam>
internal sealed class TypedIdJsonConverter<T> : JsonConverter<T>
    where T : struct, ITypedId<T>
{
    /// <inheritdoc/>
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? T.Parse(reader.GetString()!)
            : throw new JsonException($"A {typeof(T).Name} is a JSON string such as \"{T.Prefix}_0192f0c1e4a37c3a9f1e2b3c4d5e6f70\", not {reader.TokenType}.");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());

    /// <inheritdoc/>
    public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        T.Parse(reader.GetString()!);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString()!);
}
