namespace Symphainy.PublicWorks.Arango;

/// <summary>A failed call to ArangoDB: a catalogued code (<see cref="ArangoErrorCodes"/>) and Arango's own numbers.</summary>
public sealed class ArangoException : SymphainyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The catalogued code.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="httpStatus">The HTTP status the server answered, or 0 when it did not answer.</param>
    /// <param name="errorNum">Arango's <c>errorNum</c>, or 0 when the answer had none.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ArangoException(ErrorCode error, string message, int httpStatus, int errorNum, Exception? innerException = null)
        : base(error, message, innerException)
    {
        HttpStatus = httpStatus;
        ErrorNum = errorNum;
    }

    /// <summary>The HTTP status the server answered, or 0 when it did not answer (connection failure, timeout).</summary>
    public int HttpStatus { get; }

    /// <summary>Arango's <c>errorNum</c> (1200 write-write conflict, 1203 collection not found, ...), or 0.</summary>
    public int ErrorNum { get; }
}
