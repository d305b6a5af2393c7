using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Agents;
using Symphainy.Hosting;

namespace Symphainy.SmartCity.Tests;

public sealed class LibrarianTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    public sealed record Question(string Text);

    public sealed record Answer(string Text, IReadOnlyList<Claim> Claims) : IGroundedArtifact;

    public sealed class HandbookAgent(IChatClient chat) : GroundedReasoningAgentBase<Question, Answer>(chat)
    {
        public override string PromptVersion => "handbook/1";

        protected override string Question(Question input) => input.Text;
    }

    [Fact]
    public async Task Agents_gather_only_from_sources_their_tenant_may_read_and_every_fact_names_its_source()
    {
        var asked = new List<TenantId>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        new SymphainyBuilder(builder.Services)
            .AddRuntime()
            .AddSmartCity()
            .AddKnowledgeSource(new KnowledgeSource("handbook", "The employee handbook", "HR, revision 2026-03", (tenant, query, _) =>
            {
                lock (asked)
                {
                    asked.Add(tenant);
                }

                return Task.FromResult<IReadOnlyList<AgentSource>>([new AgentSource("leave-policy", "Employees get 25 days of paid leave per year. Leave requests need two weeks of notice.")]);
            }) { Tenants = new HashSet<TenantId> { _tenant } });
        using var host = builder.Build();
        var librarian = host.Services.GetRequiredService<Librarian>();

        librarian.ToolsFor(_other, null).Should().BeEmpty("the other tenant may not read the handbook");
        var tools = host.Services.GetServices<IAgentToolSource>().SelectMany(s => s.ToolsFor(_tenant, null)).ToList();
        tools.Select(t => t.Name).Should().Contain("knowledge_handbook");

        var artifact = await new HandbookAgent(new LocalChatClient()).RunAsync(
            new AgentContext<Question>(new Question("How many days of paid leave do employees get?"), _tenant, null, null, [.. librarian.ToolsFor(_tenant, null)], TimeProvider.System, CancellationToken.None));
        artifact.Facts.Should().NotBeEmpty().And.OnlyContain(f => f.Source == "handbook:leave-policy");
        artifact.Result.Text.Should().Contain("25 days");
        asked.Should().OnlyContain(t => t == _tenant, "a source is searched for the tenant the agent works for");
    }
}
