using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Symphainy.Agents;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.SmartCity.Tests;

/// <summary>The Librarian's fact schemas: offered to the extracting model, and every typed fact held to them where it enters an artifact.</summary>
public sealed class FactSchemaTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    public sealed record Question(string Text);

    public sealed record Answer(string Text, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

    public sealed class HandbookAgent(IChatClient chat) : GroundedReasoningAgentBase<Question, Answer>(chat)
    {
        public override string PromptVersion => "handbook/1";

        // The Librarian's rules hold whatever the agent's own validation policy is.
        public override AgentValidationPolicy Validation => AgentValidationPolicy.Off;

        protected override string Question(Question input) => input.Text;
    }

    /// <summary>Asks the handbook agent in a saga step, the way a realm does.</summary>
    public sealed class Asking : Orchestrator<Question, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Question input) =>
            (await saga.Agent<HandbookAgent, Question, Answer>("answer", input)).Result.Text;
    }

    private const string Leave = "Employees get 25 days of paid leave per year. Leave requests need two weeks of notice.";

    private IHost Build(IChatClient? chat = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Configuration["Symphainy:Wal:Provider"] = "InMemory";
        new SymphainyBuilder(builder.Services)
            .AddRuntime()
            .AddSmartCity()
            .AddAgent<HandbookAgent>()
            .AddCapability<Asking>("hr.ask", "hr", "answers a question from the handbook")
            .AddKnowledgeSource(new KnowledgeSource("handbook", "The employee handbook", "HR, revision 2026-03", (_, _, _) =>
                Task.FromResult<IReadOnlyList<AgentSource>>([new AgentSource("leave-policy", Leave)])))
            .AddKnowledgeSource(new KnowledgeSource("forum", "The staff forum", "staff posts, unreviewed", (_, _, _) =>
                Task.FromResult<IReadOnlyList<AgentSource>>([new AgentSource("thread-9", "I heard we get 30 days of leave.")])))
            .AddKnowledgeSource(new KnowledgeSource("board", "Board minutes", "HR, revision 2026-03", (_, _, _) =>
                Task.FromResult<IReadOnlyList<AgentSource>>([new AgentSource("minutes-4", "Leave stays at 25 days.")])) { Tenants = new HashSet<TenantId> { _other } })
            .AddFactSchema(new FactSchema("leave.days_per_year", FactValueKind.WholeNumber, "Days of paid leave an employee gets per year") { Sources = new HashSet<string> { "handbook", "board" } })
            .AddFactSchema(new FactSchema("leave.notice", FactValueKind.Record, "The notice a leave request needs") { RequiredFields = ["weeks"], Provenances = new HashSet<string> { "HR, revision 2026-03" } })
            .AddFactSchema(new FactSchema("leave.starts", FactValueKind.Date, "When a leave year starts"))
            .AddFactSchema(new FactSchema("payroll.salary", FactValueKind.Number, "An employee's salary") { Tenants = new HashSet<TenantId> { _other } });
        if (chat is not null)
        {
            builder.Services.AddSingleton(chat);
        }

        return builder.Build();
    }

    private static AgentContext<Question> Context(IHost host, TenantId tenant) => new(
        new Question("How many days of paid leave do employees get?"), tenant, null, null,
        [.. host.Services.GetServices<IAgentToolSource>().SelectMany(s => s.ToolsFor(tenant, null))], TimeProvider.System, CancellationToken.None)
    {
        FactPolicies = [.. host.Services.GetServices<IFactPolicy>()],
    };

    private static string Extracted(string source, string schema, string value) =>
        $$"""{"facts":[{"statement":"Employees get 25 days of paid leave per year.","source":"{{source}}","schema":"{{schema}}","value":{{value}}}]}""";

    [Fact]
    public async Task The_extracting_model_is_told_the_tenants_schemas_and_a_fact_that_fits_its_schema_enters_the_artifact_typed()
    {
        var chat = new ExtractionScript(Extracted("handbook:leave-policy", "leave.days_per_year", "25"));
        using var host = Build(chat);

        var artifact = await new HandbookAgent(chat).RunAsync(Context(host, _tenant));

        chat.Prompt.Should().Contain("leave.days_per_year: Days of paid leave an employee gets per year (value: a JSON integer)")
            .And.Contain("leave.notice: The notice a leave request needs (value: a JSON object with \"weeks\")")
            .And.NotContain("payroll.salary", "that schema is another tenant's");
        var fact = artifact.Facts.Should().ContainSingle().Subject;
        (fact.Schema, fact.Source, fact.Value!.Value.GetInt32()).Should().Be(("leave.days_per_year", "handbook:leave-policy", 25));
        artifact.Result.Text.Should().Contain("25 days");
    }

    [Theory]
    [InlineData("handbook:leave-policy", "leave.days", "25", "librarian.unknown_fact_schema", "there is no fact schema 'leave.days'")]
    [InlineData("handbook:leave-policy", "payroll.salary", "50000", "librarian.unknown_fact_schema", "there is no fact schema 'payroll.salary'")]
    [InlineData("handbook:leave-policy", "leave.days_per_year", "\"25 days\"", "librarian.invalid_fact_value", "takes a JSON integer")]
    [InlineData("handbook:leave-policy", "leave.days_per_year", "25.5", "librarian.invalid_fact_value", "takes a JSON integer")]
    [InlineData("handbook:leave-policy", "leave.days_per_year", "null", "librarian.invalid_fact_value", "has no value")]
    [InlineData("handbook:leave-policy", "leave.notice", "{\"days\":14}", "librarian.invalid_fact_value", "lacks 'weeks'")]
    [InlineData("handbook:leave-policy", "leave.starts", "\"the first of January\"", "librarian.invalid_fact_value", "ISO 8601 date")]
    [InlineData("forum:thread-9", "leave.days_per_year", "30", "librarian.fact_source_not_allowed", "from 'forum' (staff posts, unreviewed)")]
    [InlineData("forum:thread-9", "leave.notice", "{\"weeks\":1}", "librarian.fact_source_not_allowed", "provenance 'HR, revision 2026-03'")]
    public async Task A_fact_of_an_unknown_schema_a_wrong_value_or_a_source_its_schema_does_not_accept_is_rejected_with_a_typed_error(
        string source, string schema, string value, string code, string reason)
    {
        var chat = new ExtractionScript(Extracted(source, schema, value));
        using var host = Build(chat);

        var run = () => new HandbookAgent(chat).RunAsync(Context(host, _tenant));

        var error = (await run.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be(code);
        error.Kind.Should().Be(ErrorKind.Agent);
        error.Message.Should().Contain("f1").And.Contain(schema).And.Contain(reason);
        chat.ReasoningCalls.Should().Be(0, "no answer rests on a rejected fact");
    }

    [Fact]
    public void A_schemas_sources_are_read_with_the_tenants_access_and_dates_and_plain_statements_pass()
    {
        using var host = Build();
        var librarian = host.Services.GetRequiredService<Librarian>();
        Fact Typed(string source, string schema, string json) => new("f1", "Leave stays at 25 days.", source) { Schema = schema, Value = JsonDocument.Parse(json).RootElement };

        librarian.Check(_other, Typed("board:minutes-4", "leave.days_per_year", "25")).Should().BeNull("the other tenant may read the board's minutes");
        librarian.Check(_tenant, Typed("board:minutes-4", "leave.days_per_year", "25"))!.Code.Should().Be(SmartCityErrorCodes.FactSourceNotAllowed, "this tenant may not read them");
        librarian.Check(_tenant, Typed("node:intent-1", "leave.days_per_year", "25"))!.Code.Should().Be(SmartCityErrorCodes.FactSourceNotAllowed, "not a knowledge source");
        librarian.Check(_tenant, Typed("node:intent-1", "leave.starts", "\"2026-01-01\"")).Should().BeNull("the schema accepts any source");
        librarian.Check(_tenant, Typed("node:intent-1", "leave.starts", "\"2026-01-01T00:00:00+01:00\"")).Should().BeNull();
        librarian.Check(_tenant, new Fact("f1", "Leave stays at 25 days.", "anything")).Should().BeNull("a plain statement names no schema");
        librarian.SchemasFor(_other).Select(s => s.Name).Should().Contain("payroll.salary");
    }

    [Fact]
    public async Task In_a_saga_the_agents_facts_are_held_to_the_librarians_schemas_and_the_rejection_is_recorded_as_the_steps_error()
    {
        var chat = new ExtractionScript(Extracted("forum:thread-9", "leave.days_per_year", "30"));
        using var host = Build(chat);
        await host.StartAsync();
        SagaId saga;
        using (SymphainyPrincipal.Use(new SymphainyPrincipal("hr-app", _tenant, new HashSet<string>())))
        {
            saga = (await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("hr.ask", _tenant, JsonSerializer.SerializeToElement(new Question("How many days of paid leave do employees get?"))))).Execution;
        }

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed);
        var failures = new List<StepFailedPayload>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga && record.Kind == WalRecordKind.StepFailed)
            {
                failures.Add((StepFailedPayload)WalPayloadCodec.Decode(record));
            }
        }

        var failure = failures.Should().ContainSingle("the rejection is not retryable: the same material gives the same answer").Subject;
        (failure.Name, failure.Error.Code, failure.Error.Kind, failure.Final).Should().Be(("answer", "librarian.fact_source_not_allowed", ErrorKind.Agent, true));
        ended.Error!.Message.Should().Contain("forum:thread-9");
        chat.Extractions.Should().Be(1);
        await host.StopAsync();
    }

    [Fact]
    public void A_schema_is_registered_once_with_a_valid_name_and_required_fields_only_for_a_record()
    {
        var builder = new SymphainyBuilder(new ServiceCollection());
        var badName = () => builder.AddFactSchema(new FactSchema("leave days", FactValueKind.Text, "spaces"));
        badName.Should().Throw<ArgumentException>();
        var fieldsOnText = () => builder.AddFactSchema(new FactSchema("leave.note", FactValueKind.Text, "a note") { RequiredFields = ["text"] });
        fieldsOnText.Should().Throw<ArgumentException>();

        var twice = () => new Librarian([], [new FactSchema("leave.note", FactValueKind.Text, "a note"), new FactSchema("leave.note", FactValueKind.Number, "the same name")], NullLogger<Librarian>.Instance);
        twice.Should().Throw<ArgumentException>().WithMessage("*'leave.note' is registered twice*");
    }

    /// <summary>The local client, with the extraction stage's answer scripted and its prompt kept.</summary>
    private sealed class ExtractionScript(string extraction) : IChatClient
    {
        private readonly LocalChatClient _local = new();
        private int _reasoning;
        private int _extractions;

        public string Prompt { get; private set; } = "";

        public int ReasoningCalls => Volatile.Read(ref _reasoning);

        public int Extractions => Volatile.Read(ref _extractions);

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var schema = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } s } ? s.GetRawText() : "";
            if (schema.Contains("\"facts\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _extractions);
                Prompt = string.Join("\n", messages.Select(m => m.Text));
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
}
