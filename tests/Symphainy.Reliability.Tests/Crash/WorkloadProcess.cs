using System.Collections.Concurrent;
using System.Diagnostics;
using Symphainy.Conformance;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>
/// One run of <c>Symphainy.Reliability.Workload</c> as a real child process: its stdout lines are collected as they
/// come (an <c>ACK</c> line is printed only after <c>SubmitAsync</c> returned, so every one read is an acknowledged
/// intent), and the test kills it with SIGKILL whenever it likes.
/// </summary>
public sealed class WorkloadProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstAck = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _acks;

    private WorkloadProcess(Process process) => _process = process;

    public static string Dll => BuiltPrograms.Dll("tests/Symphainy.Reliability.Workload");

    /// <summary>Starts the workload with <paramref name="arguments"/> (see its Program.cs).</summary>
    public static WorkloadProcess Start(params string[] arguments) => StartIn(null, arguments);

    /// <summary>Starts the workload through <c>bash -c</c> with <paramref name="shellPrefix"/> before it (a <c>ulimit</c>, say), or directly.</summary>
    public static WorkloadProcess StartIn(string? shellPrefix, params string[] arguments)
    {
        ProcessStartInfo start;
        if (shellPrefix is null)
        {
            start = new ProcessStartInfo("dotnet");
            start.ArgumentList.Add(Dll);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start = new ProcessStartInfo("bash");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"{shellPrefix}; exec dotnet \"$0\" \"$@\"");
            start.ArgumentList.Add(Dll);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = new Process { StartInfo = start };
        var workload = new WorkloadProcess(process);
        process.OutputDataReceived += (_, e) => workload.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && workload._errors.Count < 200)
            {
                workload._errors.Enqueue(line);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return workload;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int Acknowledged => Volatile.Read(ref _acks);

    public Task Ready => _ready.Task;

    public Task FirstAck => _firstAck.Task;

    /// <summary>Every stdout line read so far.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>The first 200 lines of stderr, for failure messages.</summary>
    public string Errors => string.Join(Environment.NewLine, _errors);

    /// <summary>The acknowledged intents read so far: saga, type, log position of the intent record.</summary>
    public IEnumerable<(SagaId Saga, string Type, long Position)> Acks =>
        Lines.Select(l => l.Split(' ')).Where(w => w is ["ACK", _, _, _])
            .Select(w => (SagaId.Parse(w[1]), w[2], long.Parse(w[3], System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Waits for <paramref name="what"/> or the process's exit, up to <paramref name="timeout"/>; true if it happened.</summary>
    public async Task<bool> WaitAsync(Task what, TimeSpan timeout)
    {
        await Task.WhenAny(what, _process.WaitForExitAsync(), Task.Delay(timeout));
        return what.IsCompleted;
    }

    /// <summary>Kills the process with SIGKILL (no flush, no finally, no dispose) and reads what it had written.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true); // SIGKILL on Linux
        }

        await _process.WaitForExitAsync();
        await _outputClosed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
            throw new TimeoutException($"The workload did not exit within {timeout}; stdout tail: {string.Join(" | ", Lines.TakeLast(5))}; stderr: {Errors}");
        }

        await _outputClosed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    public int ExitCode => _process.ExitCode;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _outputClosed.TrySetResult();
            return;
        }

        _lines.Enqueue(line);
        if (line == "READY")
        {
            _ready.TrySetResult();
        }
        else if (line.StartsWith("ACK ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _acks);
            _firstAck.TrySetResult();
        }
    }
}
