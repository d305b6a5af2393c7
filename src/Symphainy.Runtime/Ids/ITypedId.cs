namespace Symphainy;

/// <summary>
/// A typed, time-ordered identifier over a version 7 <see cref="Guid"/>. Each id type has its own
/// prefix so that an id of one kind can never be parsed as another (a saga id is not a session id).
/// </summary>
/// <typeparam name="TSelf">The id type itself.</typeparam>
public interface ITypedId<TSelf> : IParsable<TSelf>, IComparable<TSelf>, IEquatable<TSelf>
    where TSelf : struct, ITypedId<TSelf>
{
    /// <summary>The short prefix of the string form, such as <c>ses</c> in <c>ses_0192f0c1...</c>.</summary>
    static abstract string Prefix { get; }

    /// <summary>Wraps a version 7 <see cref="Guid"/>; throws <see cref="SymphainyException"/> (<c>id.invalid</c>) for any other version.</summary>
    /// <param name="value">A version 7 Guid.</param>
    static abstract TSelf FromGuid(Guid value);

    /// <summary>The underlying version 7 Guid; <see cref="Guid.Empty"/> for the default value.</summary>
    Guid Value { get; }
}
