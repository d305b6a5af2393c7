namespace Symphainy.Sagas.Internal;

/// <summary>Ends a saga's run without recording anything because the host is stopping; recovery resumes it.</summary>
internal sealed class SagaSuspendedException : OperationCanceledException
{
    public SagaSuspendedException()
        : base("The host is stopping; the saga resumes after restart.")
    {
    }

    public SagaSuspendedException(string message)
        : base(message)
    {
    }

    public SagaSuspendedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
