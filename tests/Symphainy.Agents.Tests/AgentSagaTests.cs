using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Agents.Tests;

/// <summary>Agents as recorded saga steps: the artifact is recorded whole and replayed, never asked for again.</summary>
public sealed class AgentSagaTests : DurableHostTest
{
    [Fact]
    public async Task A_saga_resumed_after_a_restart_replays_the_recorded_artifact_and_never_asks_the_model_again()
    {
        Answering.Reset();
        var chat = new ScriptedChatClient();
        SagaId saga;
        using (var first = await StartAsync(chat))
        {
            saga = (await first.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("docs.ask", Tenant, JsonSerializer.SerializeToElement(new Question("How long do refunds take?"))))).Execution;
            await Answering.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // the agent step is recorded; the next step runs
            await first.StopAsync(); // the next step is cut short: it runs again after the restart
        }

        chat.Calls.Should().Be(4, "gathering asked twice (for the tool calls, then with their results), extraction and reasoning once each");
        Answering.Open.Release();
        using (var second = await StartAsync(chat))
        {
            var ended = await second.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(Tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
            ended.State.Should().Be(SagaState.Completed);
            ended.Output!.Value.GetString().Should().Contain("14 days");
            chat.Calls.Should().Be(4, "the recorded artifact is replayed, not asked for again");

            var outputs = new List<WalRecord>();
            await foreach (var record in second.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
            {
                if (record.Saga == saga && record.Kind == WalRecordKind.AgentOutput)
                {
                    outputs.Add(record);
                }
            }

            // The whole artifact is in the record: model, prompt version, usage, facts and hash.
            var recorded = ((StepCompletedPayload)WalPayloadCodec.Decode(outputs.Should().ContainSingle().Subject)).Result!.Value;
            var artifact = JsonSerializer.Deserialize<AgentArtifact<Answer>>(recorded.Span, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            artifact.Model.Should().Be(LocalChatClient.ModelName);
            artifact.PromptVersion.Should().Be("policy-answerer/1");
            artifact.Facts.Should().Contain(f => f.Source == "doc-refunds");
            artifact.ContentHash.Should().MatchRegex("^[0-9a-f]{64}$");
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task A_failing_model_is_an_agent_error_the_steps_retry_policy_sees()
    {
        var chat = new ScriptedChatClient(failure: new HttpRequestException("connection refused"));
        using var host = await StartAsync(chat);
        var saga = (await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("docs.ask", Tenant, JsonSerializer.SerializeToElement(new Question("How long do refunds take?"))))).Execution;
        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(Tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed);

        var failures = new List<StepFailedPayload>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga && record.Kind == WalRecordKind.StepFailed)
            {
                failures.Add((StepFailedPayload)WalPayloadCodec.Decode(record));
            }
        }

        failures.Should().HaveCount(3, "the retry policy allows three attempts of a retryable error").And.OnlyContain(f => f.Error.Code == "agent.model_failed" && f.Error.Kind == ErrorKind.Agent);
        failures[^1].Final.Should().BeTrue();
        await host.StopAsync();
    }

    [Fact]
    public void An_agent_that_asks_for_a_service_that_writes_is_refused_at_registration()
    {
        var builder = new SymphainyBuilder(new ServiceCollection());
        var log = () => builder.AddAgent<LogWritingAgent>();
        log.Should().Throw<SymphainyException>().Which.Code.Should().Be("agent.write_port");
        var provider = () => builder.AddAgent<ServiceLocatingAgent>();
        provider.Should().Throw<SymphainyException>().Which.Message.Should().Contain("IServiceProvider");
        builder.AddAgent<PolicyAnswerer>().Should().BeSameAs(builder);
    }

    private Task<IHost> StartAsync(IChatClient chat) => StartAsync(
        platform => platform.AddCapability<Answering>("docs.ask", "docs", "answers a question over the documents").AddAgent<PolicyAnswerer>(),
        services => services.AddSingleton(chat).AddSingleton<IAgentToolSource>(new DocumentSource(new Documents())));

    private sealed class DocumentSource(Documents documents) : IAgentToolSource
    {
        public IEnumerable<AIFunction> ToolsFor(TenantId tenant, SessionId? session) => [documents.Tool];
    }

    /// <summary>Asks the agent, then delivers the answer in a step that waits at a gate.</summary>
    public sealed class Answering : Orchestrator<Question, string>
    {
        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static void Reset() => (Entered, Open) = (new SemaphoreSlim(0), new SemaphoreSlim(0));

        public override async Task<string> RunAsync(SagaContext saga, Question input)
        {
            var artifact = await saga.Agent<PolicyAnswerer, Question, Answer>("answer", input);
            return await saga.Step("deliver", async cancellationToken =>
            {
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return artifact.Result.Text;
            });
        }
    }

    public sealed class LogWritingAgent(IChatClient chat, IWriteAheadLog log) : AgentBase<Question, string>(chat)
    {
        public override string PromptVersion => "bad/1";

        public IWriteAheadLog Log { get; } = log;

        protected override Task<AgentArtifact<string>> RunCoreAsync(AgentContext<Question> context) => throw new NotSupportedException();
    }

    public sealed class ServiceLocatingAgent(IChatClient chat, IServiceProvider services) : AgentBase<Question, string>(chat)
    {
        public override string PromptVersion => "bad/1";

        public IServiceProvider Services { get; } = services;

        protected override Task<AgentArtifact<string>> RunCoreAsync(AgentContext<Question> context) => throw new NotSupportedException();
    }
}
