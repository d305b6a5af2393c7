using System.Diagnostics.CodeAnalysis;

namespace Symphainy.Internal;

/// <summary>Shared string form of every typed id: <c>{prefix}_{32 lowercase hex digits}</c>.</summary>
internal static class TypedIdFormat
{
    public static string Format(string prefix, Guid value) =>
        string.Create(prefix.Length + 33, (prefix, value), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            span[state.prefix.Length] = '_';
            state.value.TryFormat(span[(state.prefix.Length + 1)..], out _, "N");
        });

    public static Guid FromGuid<T>(Guid value)
        where T : struct, ITypedId<T>
    {
        if (!IsVersion7(value))
        {
            throw new SymphainyException(
                ErrorCodes.InvalidId,
                $"{value} is not a valid {typeof(T).Name}: a {typeof(T).Name} wraps a version 7 Guid, this one is version {value.Version}.");
        }

        return value;
    }

    public static Guid Parse<T>(string? text)
        where T : struct, ITypedId<T>
    {
        if (TryParse<T>(text, out var value))
        {
            return value;
        }

        var shown = text is null ? "null" : $"'{Truncate(text)}'";
        throw new SymphainyException(
            ErrorCodes.InvalidId,
            $"{shown} is not a valid {typeof(T).Name}: expected '{T.Prefix}_' followed by the 32 hex digits of a version 7 Guid, as in '{T.Prefix}_0192f0c1e4a37c3a9f1e2b3c4d5e6f70'.");
    }

    public static bool TryParse<T>([NotNullWhen(true)] string? text, out Guid value)
        where T : struct, ITypedId<T>
    {
        value = default;
        var prefix = T.Prefix;
        if (text is null || text.Length != prefix.Length + 33 || !text.StartsWith(prefix, StringComparison.Ordinal) || text[prefix.Length] != '_')
        {
            return false;
        }

        var hex = text.AsSpan(prefix.Length + 1);
        foreach (var c in hex)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        if (!Guid.TryParseExact(hex, "N", out var parsed) || !IsVersion7(parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool IsVersion7(Guid value) => value.Version == 7 && (value.Variant & 0b1100) == 0b1000;

    private static string Truncate(string text) =>
        text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
}
