using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Hosting;
using Symphainy.Agents;
using Symphainy.Sagas;

namespace Symphainy.Reliability.Workload;

/// <summary>
/// The mixed workload's sagas: plain steps, an agent step on the deterministic local chat client, a durable timer, a
/// signal with a timeout (signalled or timed out, it completes), a failing step compensated, and a step retried by its
/// policy. Each orchestrator is deterministic given its input and its recorded results, as replay needs.
/// </summary>
public static class MixedSagas
{
    public const string Plain = "crash.plain";
    public const string Agent = "crash.agent";
    public const string Timer = "crash.timer";
    public const string Signal = "crash.signal";
    public const string Compensate = "crash.compensate";
    public const string Retry = "crash.retry";

    /// <summary>Every type, in the order the submitters cycle through them.</summary>
    public static readonly string[] Types = [Plain, Agent, Timer, Signal, Compensate, Retry];

    /// <summary>The error the compensated saga's second step fails with: a domain error, not retryable.</summary>
    public static readonly ErrorCode Declined = new("crash.declined", ErrorKind.Domain, isRetryable: false, "The workload's charge step always declines, so its saga compensates.");

    /// <summary>Registers the sagas, their services and the agent.</summary>
    public static ISymphainyBuilder AddMixedSagas(this ISymphainyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<Work>();
        builder.Services.AddSingleton<Flaky>();
        builder.AddAgent<Summarizer>();
        builder.AddCapability<PlainSaga>(Plain, "crash", "three plain steps")
            .AddCapability<AgentSaga>(Agent, "crash", "an agent step between two steps")
            .AddCapability<TimerSaga>(Timer, "crash", "a durable timer between two steps")
            .AddCapability<SignalSaga>(Signal, "crash", "waits for a signal, with a timeout")
            .AddCapability<CompensatedSaga>(Compensate, "crash", "a failing step, compensated")
            .AddCapability<RetriedSaga>(Retry, "crash", "a step that fails twice before it succeeds");
        return builder;
    }
}

public sealed record WorkInput(string Key);

/// <summary>Deterministic work for the steps.</summary>
public sealed class Work
{
    public string Do(string key, int step) => $"{key}:{step}";

    public Task Undo(string reserved) => Task.CompletedTask;

    public string Decline(string reserved) => throw new SymphainyException(MixedSagas.Declined, $"{reserved} declined");
}

/// <summary>Fails the first two attempts of each key in this process (a restart fails it again: the policy allows for it).</summary>
public sealed class Flaky
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _attempts = new();

    public string Try(string key)
    {
        var attempt = _attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        return attempt <= 2 ? throw new InvalidOperationException($"attempt {attempt} of {key} fails") : $"{key}:flaky-ok";
    }
}

/// <summary>An agent on whatever chat client the host has (the deterministic local one here).</summary>
public sealed class Summarizer(IChatClient chat) : AgentBase<string, string>(chat)
{
    public override string PromptVersion => "crash-summarizer/1";

    protected override async Task<AgentArtifact<string>> RunCoreAsync(AgentContext<string> context)
    {
        var response = await AskAsync([new ChatMessage(ChatRole.User, context.Input)], null, context.CancellationToken);
        return AgentArtifact.Create(response.Text, response.ModelId ?? "unknown", PromptVersion,
            new AgentUsage(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0), []);
    }
}

public sealed class PlainSaga : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var a = await saga.Step("one", (Work w) => w.Do(input.Key, 1));
        var b = await saga.Step("two", (Work w) => w.Do(a, 2));
        return await saga.Step("three", (Work w) => w.Do(b, 3));
    }
}

public sealed class AgentSaga : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var question = await saga.Step("prepare", (Work w) => $"What happened to {w.Do(input.Key, 1)}?");
        var artifact = await saga.Agent<Summarizer, string, string>("summarize", question);
        return await saga.Step("finish", (Work w) => w.Do(artifact.Result.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), 2));
    }
}

public sealed class TimerSaga : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var a = await saga.Step("one", (Work w) => w.Do(input.Key, 1));
        await saga.Delay("pause", TimeSpan.FromMilliseconds(150));
        return await saga.Step("two", (Work w) => w.Do(a, 2));
    }
}

public sealed class SignalSaga : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var a = await saga.Step("one", (Work w) => w.Do(input.Key, 1));
        string value;
        try
        {
            value = await saga.WaitForSignal<string>("go", TimeSpan.FromMilliseconds(400));
        }
        catch (SymphainyException e) when (e.Code == ErrorCodes.SagaSignalTimeout.Code)
        {
            value = "timed-out"; // the timeout is recorded, so replay takes this branch again
        }

        return await saga.Step("two", (Work w) => w.Do(a + value, 2));
    }
}

public sealed class CompensatedSaga : Orchestrator<WorkInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var reserved = await saga.Step("reserve", (Work w) => w.Do(input.Key, 1), compensate: (Work w, string r) => w.Undo(r));
        return await saga.Step("charge", (Work w) => w.Decline(reserved), new StepOptions { Retry = RetryPolicy.None });
    }
}

public sealed class RetriedSaga : Orchestrator<WorkInput, string>
{
    private static readonly StepOptions Retries = new()
    {
        Retry = new RetryPolicy { MaxAttempts = 8, InitialBackoff = TimeSpan.FromMilliseconds(20), BackoffMultiplier = 1.5, MaxBackoff = TimeSpan.FromMilliseconds(100) },
    };

    public override async Task<string> RunAsync(SagaContext saga, WorkInput input)
    {
        var a = await saga.Step("flaky", (Flaky f) => f.Try(input.Key), Retries);
        return await saga.Step("after", (Work w) => w.Do(a, 2));
    }
}
