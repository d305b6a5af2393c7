namespace Symphainy.Wal;

/// <summary>What a write-ahead log record says happened. Values are stored on disk: never renumber them.</summary>
public enum WalRecordKind : byte
{
    /// <summary>An intent was validated and accepted; written before it is acknowledged.</summary>
    IntentReceived = 1,

    /// <summary>A saga started for an accepted intent.</summary>
    SagaStarted = 2,

    /// <summary>A saga step completed; its recorded result is returned on replay.</summary>
    StepCompleted = 3,

    /// <summary>A saga step attempt failed.</summary>
    StepFailed = 4,

    /// <summary>An agent produced an artifact; recorded before anything else sees it.</summary>
    AgentOutput = 5,

    /// <summary>A waiting saga received an external signal or a timer fired.</summary>
    SagaSignalled = 6,

    /// <summary>A saga ended (completed, failed or cancelled).</summary>
    SagaEnded = 7,

    /// <summary>A session started.</summary>
    SessionStarted = 8,

    /// <summary>A session ended.</summary>
    SessionEnded = 9,

    /// <summary>A saga began compensating its completed steps, after a final failure or a cancellation.</summary>
    SagaCompensating = 10,
}
