using Microsoft.Extensions.AI;

namespace Symphainy.Agents.Tests;

public sealed class GroundedAgentTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private AgentContext<Question> Context(string question, params AIFunction[] tools) =>
        new(new Question(question), _tenant, null, null, tools, TimeProvider.System, CancellationToken.None);

    [Fact]
    public async Task The_four_stages_gather_through_tools_extract_sourced_facts_and_answer_with_claims_citing_them()
    {
        var documents = new Documents();
        var agent = new PolicyAnswerer(new LocalChatClient());
        var artifact = await agent.RunAsync(Context("How long do refunds take?", documents.Tool));

        // 1. Gathering: the model called the read-only tool with the question.
        documents.Queries.Should().Equal("How long do refunds take?");

        // 2. Extraction: one fact per sentence of what the tool returned, each with its document.
        artifact.Facts.Should().Equal(
            new Fact("f1", "Refunds are paid within 14 days of a return.", "doc-refunds"),
            new Fact("f2", "Refunds go back to the card used for the purchase.", "doc-refunds"));

        // 3. Reasoning: every claim cites the facts it rests on.
        artifact.Result.Claims.Should().NotBeEmpty().And.OnlyContain(c => c.Citations.Count > 0 && c.Citations.All(id => artifact.Facts.Any(f => f.Id == id)));
        artifact.Result.Text.Should().Contain("14 days").And.Contain("[f1]");

        // 4. Validation found nothing; the artifact says what made it.
        artifact.Warnings.Should().BeEmpty();
        artifact.Model.Should().Be(LocalChatClient.ModelName);
        artifact.PromptVersion.Should().Be("policy-answerer/1");
        artifact.Usage.InputTokens.Should().BePositive();
        artifact.Usage.OutputTokens.Should().BePositive();
        artifact.ContentHash.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public async Task The_local_client_is_deterministic_and_the_content_hash_follows_the_content()
    {
        var agent = new PolicyAnswerer(new LocalChatClient());
        var first = await agent.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        var again = await agent.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        var other = await agent.RunAsync(Context("Is water damage covered by the warranty?", new Documents().Tool));

        again.Should().BeEquivalentTo(first);
        other.ContentHash.Should().NotBe(first.ContentHash);
        other.Facts.Should().OnlyContain(f => f.Source == "doc-warranty");
    }

    [Fact]
    public async Task Facts_that_answer_nothing_give_no_claim_rather_than_an_invented_one()
    {
        var artifact = await new PolicyAnswerer(new LocalChatClient()).RunAsync(Context("Who founded the company?", new Documents().Tool));
        artifact.Facts.Should().BeEmpty();
        artifact.Result.Claims.Should().BeEmpty();
        artifact.Result.Text.Should().Contain("do not answer");
    }

    private const string Uncited = """{"text":"Refunds take a year.","claims":[{"text":"Refunds take a year.","citations":[]}]}""";
    private const string UnknownFact = """{"text":"Refunds take 14 days.","claims":[{"text":"Refunds take 14 days.","citations":["f99"]}]}""";

    [Fact]
    public async Task Off_returns_the_artifact_as_the_model_made_it()
    {
        var artifact = await new PolicyAnswerer(new ScriptedChatClient(_ => Uncited)) { Policy = AgentValidationPolicy.Off }.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        artifact.Result.Text.Should().Be("Refunds take a year.");
        artifact.Warnings.Should().BeEmpty();
    }

    [Fact]
    public async Task Warn_returns_the_artifact_with_each_problem_listed()
    {
        var artifact = await new PolicyAnswerer(new ScriptedChatClient(_ => UnknownFact)) { Policy = AgentValidationPolicy.Warn }.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        artifact.Warnings.Should().ContainSingle().Which.Should().Contain("unknown fact 'f99'");
    }

    [Fact]
    public async Task Reject_fails_with_a_typed_agent_error_naming_the_problem()
    {
        var run = () => new PolicyAnswerer(new ScriptedChatClient(_ => Uncited)) { Policy = AgentValidationPolicy.Reject }.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        var error = (await run.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("agent.ungrounded");
        error.Kind.Should().Be(ErrorKind.Agent);
        error.IsRetryable.Should().BeFalse();
        error.Message.Should().Contain("cites no fact");
    }

    [Fact]
    public async Task Retry_then_reject_asks_again_with_the_problems_named_and_takes_a_grounded_answer()
    {
        var chat = new ScriptedChatClient(attempt => attempt == 1 ? Uncited : null); // then the local client answers
        var artifact = await new PolicyAnswerer(chat) { Policy = AgentValidationPolicy.RetryThenReject }.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        chat.ReasoningCalls.Should().Be(2);
        artifact.Result.Text.Should().Contain("14 days");
        artifact.Warnings.Should().BeEmpty();
    }

    [Fact]
    public async Task Retry_then_reject_rejects_when_the_answer_stays_ungrounded()
    {
        var chat = new ScriptedChatClient(_ => Uncited);
        var run = () => new PolicyAnswerer(chat) { Policy = AgentValidationPolicy.RetryThenReject }.RunAsync(Context("How long do refunds take?", new Documents().Tool));
        (await run.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("agent.ungrounded");
        chat.ReasoningCalls.Should().Be(2, "one answer and one retry");
    }

    [Fact]
    public async Task An_answer_that_breaks_the_schema_is_a_retryable_agent_error()
    {
        var run = () => new PolicyAnswerer(new ScriptedChatClient(_ => "Refunds take 14 days, trust me.")).RunAsync(Context("How long do refunds take?", new Documents().Tool));
        var error = (await run.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("agent.invalid_output");
        error.Kind.Should().Be(ErrorKind.Agent);
        error.IsRetryable.Should().BeTrue();
    }

    [Fact]
    public async Task A_model_that_fails_is_a_retryable_agent_error_and_a_cancelled_call_is_cancelled()
    {
        var failing = () => new PolicyAnswerer(new ScriptedChatClient(failure: new HttpRequestException("connection refused"))).RunAsync(Context("How long do refunds take?", new Documents().Tool));
        var error = (await failing.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("agent.model_failed");
        error.Kind.Should().Be(ErrorKind.Agent);
        error.IsRetryable.Should().BeTrue();

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var context = Context("How long do refunds take?", new Documents().Tool) with { CancellationToken = cancelled.Token };
        var run = () => new PolicyAnswerer(new LocalChatClient()).RunAsync(context);
        await run.Should().ThrowAsync<OperationCanceledException>();
    }
}
