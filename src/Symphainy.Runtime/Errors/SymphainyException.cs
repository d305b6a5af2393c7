namespace Symphainy;

/// <summary>
/// The one exception type the platform throws for anything a caller can act on. It carries a stable
/// <see cref="Code"/>, the <see cref="Kind"/> of fault, whether it is retryable, and a message a person can act on.
/// </summary>
public class SymphainyException : Exception
{
    /// <summary>Creates an exception for <paramref name="error"/>.</summary>
    /// <param name="error">The catalogued code.</param>
    /// <param name="message">What happened and what to do, for a person.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public SymphainyException(ErrorCode error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>The catalogued error.</summary>
    public ErrorCode Error { get; }

    /// <summary>The stable dotted code, such as <c>wal.corrupt_record</c>.</summary>
    public string Code => Error.Code;

    /// <summary>Who is at fault.</summary>
    public ErrorKind Kind => Error.Kind;

    /// <summary>Whether trying the same request again unchanged may succeed.</summary>
    public bool IsRetryable => Error.IsRetryable;

    /// <inheritdoc/>
    public override string ToString() => $"{Code} ({Kind}): {base.ToString()}";
}
