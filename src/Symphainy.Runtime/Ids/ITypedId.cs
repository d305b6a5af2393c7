namespace Symphainy;

/// <summary>
/// A typed, time-ordered identifier over a version 7 <see cref="Guid"/>. Each id type has its own
/// prefix so that an id of one kind can never be parsed as another (a saga id is not a session id).
/// </summary>
/// <typeparam name="TSelf">The id type itself.</typeparam>
public interface ITypedId<TSelf> : IComparable<TSelf>, IEquatable<TSelf>
    where TSelf : struct, ITypedId<TSelf>
{
    /// <summary>The short prefix of the string form, such as <c>ses</c> in <c>ses_0192f0c1...</c>.</summary>
    static abstract string Prefix { get; }

    /// <summary>Wraps a version 7 <see cref="Guid"/>; throws <see cref="SymphainyException"/> (<c>id.invalid</c>) for any other version.</summary>
    /// <param name="value">A version 7 Guid.</param>
    static abstract TSelf FromGuid(Guid value);

    /// <summary>Parses the string form; throws <see cref="SymphainyException"/> with code <c>id.invalid</c> for bad input.</summary>
    /// <param name="s">The string form, such as <c>ses_0192f0c1e4a37c3a9f1e2b3c4d5e6f70</c>.</param>
    static abstract TSelf Parse(string s);

    /// <summary>Parses the string form; false for bad input.</summary>
    /// <param name="s">The string form.</param>
    /// <param name="result">The id, when parsed.</param>
    static abstract bool TryParse([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? s, out TSelf result);

    /// <summary>The underlying version 7 Guid; <see cref="Guid.Empty"/> for the default value.</summary>
    Guid Value { get; }
}
