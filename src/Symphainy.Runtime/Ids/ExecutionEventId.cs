using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Symphainy.Internal;

namespace Symphainy;

/// <summary>Identifies an execution event published on the execution event bus. (Named so it never clashes with <c>Microsoft.Extensions.Logging.EventId</c>.)</summary>
/// <remarks>String form: <c>evt_</c> followed by 32 lowercase hex digits of a version 7 Guid; ids sort by creation time.</remarks>
[JsonConverter(typeof(TypedIdJsonConverter<ExecutionEventId>))]
public readonly record struct ExecutionEventId : ITypedId<ExecutionEventId>
{
    private ExecutionEventId(Guid value) => Value = value;

    /// <inheritdoc/>
    public static string Prefix => "evt";

    /// <inheritdoc/>
    public Guid Value { get; }

    /// <inheritdoc/>
    public static ExecutionEventId FromGuid(Guid value) => new(TypedIdFormat.FromGuid<ExecutionEventId>(value));

    /// <summary>Parses the string form; throws <see cref="SymphainyException"/> with code <c>id.invalid</c> for bad input.</summary>
    /// <param name="s">The string form, such as <c>evt_0192f0c1e4a37c3a9f1e2b3c4d5e6f70</c>.</param>
    public static ExecutionEventId Parse(string s) => new(TypedIdFormat.Parse<ExecutionEventId>(s));

    /// <inheritdoc/>
    public static bool TryParse([NotNullWhen(true)] string? s, out ExecutionEventId result)
    {
        var ok = TypedIdFormat.TryParse<ExecutionEventId>(s, out var value);
        result = new(value);
        return ok;
    }

    /// <inheritdoc/>
    public int CompareTo(ExecutionEventId other) => Value.CompareTo(other.Value);

    /// <summary>Whether <paramref name="left"/> was created before <paramref name="right"/>.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator <(ExecutionEventId left, ExecutionEventId right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> was created after <paramref name="right"/>.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator >(ExecutionEventId left, ExecutionEventId right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> was created before <paramref name="right"/> or is equal to it.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator <=(ExecutionEventId left, ExecutionEventId right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> was created after <paramref name="right"/> or is equal to it.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator >=(ExecutionEventId left, ExecutionEventId right) => left.CompareTo(right) >= 0;

    /// <inheritdoc/>
    public override string ToString() => TypedIdFormat.Format(Prefix, Value);
}
