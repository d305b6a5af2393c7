using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Symphainy.Agents.Tests;

/// <summary>The fact policies (the Librarian's fact schemas, behind a port): offered to extraction, checked where facts enter the artifact.</summary>
public sealed class FactPolicyTests
{
    private static readonly ErrorCode Rejected = new("test.fact_rejected", ErrorKind.Agent, isRetryable: false, "A test policy rejected the fact.");
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private AgentContext<Question> Context(string question, params IFactPolicy[] policies) =>
        new(new Question(question), _tenant, null, null, [new Documents().Tool], TimeProvider.System, CancellationToken.None) { FactPolicies = policies };

    private const string TypedRefund = """{"facts":[{"statement":"Refunds are paid within 14 days of a return.","source":"doc-refunds","schema":"refund.days","value":14}]}""";

    [Fact]
    public async Task Extraction_is_told_the_schemas_and_typed_facts_carry_their_schema_and_value()
    {
        var policy = new SchemaPolicy(_tenant);
        var chat = new ExtractingChatClient(TypedRefund);
        var artifact = await new PolicyAnswerer(chat).RunAsync(Context("How long do refunds take?", policy));

        chat.ExtractionPrompt.Should().Contain("refund.days: How many days a refund takes (a JSON integer)");
        var fact = artifact.Facts.Should().ContainSingle().Subject;
        fact.Schema.Should().Be("refund.days");
        fact.Value!.Value.GetInt32().Should().Be(14);
        policy.Checked.Should().Contain(f => f.Id == "f1", "the policy saw the fact");
        artifact.Result.Text.Should().Contain("14 days");
    }

    [Fact]
    public async Task A_fact_a_policy_rejects_fails_the_call_with_the_policys_code_before_any_reasoning_rests_on_it()
    {
        var chat = new ExtractingChatClient("""{"facts":[{"statement":"Refunds are paid within 14 days of a return.","source":"doc-refunds","schema":"refund.days","value":"two weeks"}]}""");
        var run = () => new PolicyAnswerer(chat) { Policy = AgentValidationPolicy.Off }.RunAsync(Context("How long do refunds take?", new SchemaPolicy(_tenant)));

        var error = (await run.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("test.fact_rejected");
        error.Message.Should().Contain("f1").And.Contain("refund.days").And.Contain("doc-refunds").And.Contain("not an integer");
        chat.ReasoningCalls.Should().Be(0, "no reasoning rests on a rejected fact");
    }

    [Fact]
    public async Task The_facts_of_every_artifact_are_checked_whichever_stage_made_them()
    {
        var run = () => new FactMaker().RunAsync(Context("anything", new SchemaPolicy(_tenant)));
        (await run.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("test.fact_rejected");

        var accepted = await new FactMaker().RunAsync(Context("anything"));
        accepted.Facts.Should().ContainSingle("without a policy, nothing is checked");
    }

    [Fact]
    public async Task Plain_facts_keep_their_recorded_shape()
    {
        var artifact = await new PolicyAnswerer(new LocalChatClient()).RunAsync(Context("How long do refunds take?", new SchemaPolicy(_tenant)));
        artifact.Facts.Should().NotBeEmpty().And.OnlyContain(f => f.Schema == null && f.Value == null);
        JsonSerializer.Serialize(artifact.Facts[0], new JsonSerializerOptions(JsonSerializerDefaults.Web)).Should().NotContain("schema").And.NotContain("value");
    }

    /// <summary>Offers one schema, refund.days (an integer), for its tenant, and rejects a fact of it whose value is not one.</summary>
    private sealed class SchemaPolicy(TenantId tenant) : IFactPolicy
    {
        public List<Fact> Checked { get; } = [];

        public IEnumerable<FactSchemaInfo> SchemasFor(TenantId asking) =>
            asking == tenant ? [new FactSchemaInfo("refund.days", "How many days a refund takes (a JSON integer)")] : [];

        public FactRejection? Check(TenantId asking, Fact fact)
        {
            lock (Checked)
            {
                Checked.Add(fact);
            }

            return fact.Schema switch
            {
                null => null,
                "refund.days" when fact.Value is { ValueKind: JsonValueKind.Number } => null,
                "refund.days" => new FactRejection(Rejected, "its value is not an integer"),
                _ => new FactRejection(Rejected, "unknown schema"),
            };
        }
    }

    /// <summary>An agent that makes its facts itself, without the grounded stages.</summary>
    private sealed class FactMaker() : AgentBase<Question, string>(new LocalChatClient())
    {
        public override string PromptVersion => "fact-maker/1";

        protected override Task<AgentArtifact<string>> RunCoreAsync(AgentContext<Question> context) =>
            Task.FromResult(AgentArtifact.Create("made", "none", PromptVersion, AgentUsage.None,
                [new Fact("f1", "Refunds take forever.", "nowhere") { Schema = "refund.forever" }]));
    }
}

/// <summary>The local client, with the extraction stage's answer scripted and its prompt kept.</summary>
public sealed class ExtractingChatClient(string extraction) : IChatClient
{
    private readonly LocalChatClient _local = new();
    private int _reasoning;

    public string ExtractionPrompt { get; private set; } = "";

    public int ReasoningCalls => Volatile.Read(ref _reasoning);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var schema = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } s } ? s.GetRawText() : "";
        if (schema.Contains("\"facts\"", StringComparison.Ordinal))
        {
            ExtractionPrompt = string.Join("\n", messages.Select(m => m.Text));
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, extraction)) { ModelId = "scripted" };
        }

        if (schema.Contains("\"claims\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _reasoning);
        }

        return await _local.GetResponseAsync(messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        _local.GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
