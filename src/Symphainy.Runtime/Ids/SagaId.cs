using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Symphainy.Internal;

namespace Symphainy;

/// <summary>Identifies a saga: one durable execution of a capability's orchestrator.</summary>
/// <remarks>String form: <c>sag_</c> followed by 32 lowercase hex digits of a version 7 Guid; ids sort by creation time.</remarks>
[JsonConverter(typeof(TypedIdJsonConverter<SagaId>))]
public readonly record struct SagaId : ITypedId<SagaId>
{
    private SagaId(Guid value) => Value = value;

    /// <inheritdoc/>
    public static string Prefix => "sag";

    /// <inheritdoc/>
    public Guid Value { get; }

    /// <inheritdoc/>
    public static SagaId FromGuid(Guid value) => new(TypedIdFormat.FromGuid<SagaId>(value));

    /// <summary>Parses the string form; throws <see cref="SymphainyException"/> with code <c>id.invalid</c> for bad input.</summary>
    /// <param name="s">The string form, such as <c>sag_0192f0c1e4a37c3a9f1e2b3c4d5e6f70</c>.</param>
    public static SagaId Parse(string s) => new(TypedIdFormat.Parse<SagaId>(s));

    /// <inheritdoc/>
    public static bool TryParse([NotNullWhen(true)] string? s, out SagaId result)
    {
        var ok = TypedIdFormat.TryParse<SagaId>(s, out var value);
        result = new(value);
        return ok;
    }

    /// <inheritdoc/>
    public int CompareTo(SagaId other) => Value.CompareTo(other.Value);

    /// <summary>Whether <paramref name="left"/> was created before <paramref name="right"/>.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator <(SagaId left, SagaId right) => left.CompareTo(right) < 0;

    /// <summary>Whether <paramref name="left"/> was created after <paramref name="right"/>.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator >(SagaId left, SagaId right) => left.CompareTo(right) > 0;

    /// <summary>Whether <paramref name="left"/> was created before <paramref name="right"/> or is equal to it.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator <=(SagaId left, SagaId right) => left.CompareTo(right) <= 0;

    /// <summary>Whether <paramref name="left"/> was created after <paramref name="right"/> or is equal to it.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    public static bool operator >=(SagaId left, SagaId right) => left.CompareTo(right) >= 0;

    /// <inheritdoc/>
    public override string ToString() => TypedIdFormat.Format(Prefix, Value);
}
