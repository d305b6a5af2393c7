using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.Agents.Tests;

/// <summary>Microsoft Agent Framework agents as recorded saga steps, and grounded agents as Agent Framework agents.</summary>
public sealed class AgentFrameworkInteropTests : DurableHostTest
{
    [Fact]
    public async Task An_agent_framework_agent_runs_as_a_recorded_step_and_is_replayed_after_a_restart_not_asked_again()
    {
        Drafting.Reset();
        var chat = new ScriptedChatClient();
        SagaId saga;
        using (var first = await StartAsync(chat))
        {
            saga = (await first.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("docs.draft", Tenant, JsonSerializer.SerializeToElement(new Question("Draft a reply about refunds."))))).Execution;
            await Drafting.Entered.WaitAsync(TimeSpan.FromSeconds(30));
            await first.StopAsync();
        }

        chat.Calls.Should().Be(1);
        Drafting.Open.Release();
        using var second = await StartAsync(chat);
        var ended = await second.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(Tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Completed);
        ended.Output!.Value.GetString().Should().Be("writer: I only reason over facts I am given, and none answer this.");
        chat.Calls.Should().Be(1, "the recorded response is replayed");
        await second.StopAsync();
    }

    [Fact]
    public async Task A_grounded_agent_answers_as_an_agent_framework_agent_with_its_artifact_attached()
    {
        var documents = new Documents();
        var agent = new PolicyAnswerer(new LocalChatClient()).AsAIAgent(text => new Question(text), Tenant, [documents.Tool]);
        agent.Name.Should().Be(nameof(PolicyAnswerer));

        var session = await agent.CreateSessionAsync();
        var response = await agent.RunAsync("How long do refunds take?", session);
        var answer = JsonSerializer.Deserialize<Answer>(response.Text, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        answer.Text.Should().Contain("14 days");
        answer.Claims.Should().OnlyContain(c => c.Citations.Count > 0);
        response.Usage!.InputTokenCount.Should().BePositive();
        var artifact = response.AdditionalProperties!["symphainy.artifact"].Should().BeOfType<AgentArtifact<Answer>>().Subject;
        artifact.Facts.Should().OnlyContain(f => f.Source == "doc-refunds");

        var streamed = new List<AgentResponseUpdate>();
        await foreach (var update in agent.RunStreamingAsync("How long do refunds take?"))
        {
            streamed.Add(update);
        }

        string.Concat(streamed.Select(u => u.Text)).Should().Be(response.Text);
    }

    private Task<IHost> StartAsync(IChatClient chat) => StartAsync(platform => platform
        .AddCapability<Drafting>("docs.draft", "docs", "drafts a reply with an Agent Framework agent")
        .AddAIAgent("writer", _ => new ChatClientAgent(chat, instructions: "Draft short replies.", name: "writer")));

    /// <summary>Runs the framework agent, then delivers its text in a step that waits at a gate.</summary>
    public sealed class Drafting : Orchestrator<Question, string>
    {
        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static void Reset() => (Entered, Open) = (new SemaphoreSlim(0), new SemaphoreSlim(0));

        public override async Task<string> RunAsync(SagaContext saga, Question input)
        {
            var draft = await saga.RunAIAgent("draft", "writer", input.Text);
            return await saga.Step("deliver", async cancellationToken =>
            {
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return $"{draft.Model}: {draft.Result}";
            });
        }
    }
}
