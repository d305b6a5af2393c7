namespace Symphainy.Testing;

/// <summary>The error codes of the test kit.</summary>
public static class TestingErrorCodes
{
    /// <summary>An awaited execution did not end: the engine went idle with it still waiting, or the timeout passed.</summary>
    public static readonly ErrorCode ExecutionDidNotEnd = new(
        "testing.execution_did_not_end", ErrorKind.Platform, isRetryable: false,
        "An execution a test awaited did not end: the engine is idle with it still waiting for a timer, a signal or a held admission (advance the clock or send the signal first), or the timeout passed while a step was still running. The message names the execution, its type, its state and its last recorded step.");

    /// <summary>A fault the test injected into a service or agent.</summary>
    public static readonly ErrorCode InjectedFault = new(
        "testing.injected_fault", ErrorKind.Platform, isRetryable: true,
        "A test made a service or an agent fail on purpose (SymphainyTestHost.Faults); the step fails like any step and its retry policy decides what follows.");

    /// <summary>A recorded execution log cannot be read: not a log, damaged, or more than one execution where one was asked for.</summary>
    public static readonly ErrorCode InvalidRecording = new(
        "testing.invalid_recording", ErrorKind.Domain, isRetryable: false,
        "A recorded execution log cannot be read: the file is not a Symphainy log segment, a record is damaged or does not decode, or it holds no execution (or several where one was named). The message names the file and what is wrong.");

    /// <summary>A recorded log was written in a format this build does not know (a newer one).</summary>
    public static readonly ErrorCode UnsupportedLogFormat = new(
        "testing.unsupported_log_format", ErrorKind.Domain, isRetryable: false,
        "A recorded execution log was written in a segment or payload format version this build does not read, by a newer version of Symphainy. Replay it with that version, or record it again with this one.");

    /// <summary>Replay found that the orchestrator's code no longer makes the calls the recording holds.</summary>
    public static readonly ErrorCode ReplayDiverged = new(
        "testing.replay_diverged", ErrorKind.Domain, isRetryable: false,
        "Replaying a recorded execution against the current code made different calls than the recording (a step added, removed, renamed or reordered). The message lists each difference; give the changed orchestrator a new capability version instead.");
}
