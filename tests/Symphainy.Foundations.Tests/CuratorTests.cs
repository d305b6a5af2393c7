using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Capabilities;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.Foundations.Tests;

public sealed record AssessInput(string ParsedFileId, int ApprovalThreshold, IReadOnlyList<string> Columns);

public sealed record QualityReport(int Issues, string Story);

public sealed class AssessDataQuality : Orchestrator<AssessInput, QualityReport>
{
    public override Task<QualityReport> RunAsync(SagaContext saga, AssessInput input) =>
        saga.Step("count", _ => Task.FromResult(new QualityReport(input.Columns.Count, $"{input.ParsedFileId} has {input.Columns.Count} columns")));
}

public sealed class AssessDataQualityV2 : Orchestrator<AssessInput, QualityReport>
{
    public override Task<QualityReport> RunAsync(SagaContext saga, AssessInput input) =>
        saga.Step("count", _ => Task.FromResult(new QualityReport(input.Columns.Count * 2, "v2")));
}

public sealed class CuratorTests
{
    private static IServiceProvider Build(Action<ISymphainyBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:Wal:Provider"] = "InMemory" });
        builder.Logging.ClearProviders();
        configure(new SymphainyBuilder(builder.Services).AddFoundations());
        return builder.Build().Services;
    }

    private static Curator CuratorOf(Action<ISymphainyBuilder> configure) => Build(configure).GetRequiredService<Curator>();

    [Fact]
    public void A_capability_carries_its_realm_determinism_and_schemas_derived_from_its_types()
    {
        var curator = CuratorOf(b => b.AddCapability<AssessDataQuality>("insights.assess_data_quality", "insights", "Profiles a parsed table.", determinism: Determinism.AgentBacked, idempotent: true));

        var capability = curator.Find("insights.assess_data_quality")!;
        capability.Realm.Should().Be("insights");
        capability.Determinism.Should().Be(Determinism.AgentBacked);
        capability.Idempotent.Should().BeTrue();
        capability.InputSchema["properties"]!["parsedFileId"]!["type"]!.ToString().Should().Be("string");
        capability.InputSchema["properties"]!["columns"]!["type"]!.ToString().Should().Be("array");
        capability.InputSchema["required"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Contain(["parsedFileId", "approvalThreshold", "columns"]);
        capability.OutputSchema["properties"]!["story"].Should().NotBeNull();
        curator.ByRealm("insights").Should().ContainSingle();
        curator.Snapshot().Should().Contain("\"insights.assess_data_quality\"").And.Contain("\"AgentBacked\"").And.Contain("parsedFileId");
    }

    [Fact]
    public void Intents_resolve_to_the_latest_version_or_the_one_asked_for()
    {
        var curator = CuratorOf(b => b
            .AddCapability<AssessDataQuality>("insights.assess", "insights", "v1")
            .AddCapability<AssessDataQualityV2>("insights.assess", "insights", "v2", version: 2));

        curator.Resolve("insights.assess", null)!.Version.Should().Be(2);
        curator.Resolve("insights.assess", 1)!.SagaVersion.Should().Be(1);
        curator.Resolve("insights.assess", 3).Should().BeNull();
        curator.Resolve("insights.unknown", null).Should().BeNull();
    }

    [Fact]
    public void Saga_definitions_without_a_description_become_capabilities_of_the_default_realm()
    {
        var curator = CuratorOf(b => b.Services.AddSingleton(SagaDefinition.For<AssessDataQuality>("plain.saga")));
        curator.Find("plain.saga")!.Realm.Should().Be(Curator.DefaultRealm);
    }

    [Fact]
    public void Registering_the_same_name_and_version_twice_is_refused()
    {
        var act = () => CuratorOf(b => b
            .AddCapability<AssessDataQuality>("insights.assess", "insights", "one")
            .AddCapability<AssessDataQualityV2>("insights.assess", "insights", "two"));
        act.Should().Throw<SymphainyException>().Where(e => e.Code == "saga.invalid_definition" || e.Code == "curator.duplicate_capability");
    }

    [Fact]
    public void A_version_owned_by_another_realm_is_refused_as_incompatible()
    {
        var act = () => CuratorOf(b => b
            .AddCapability<AssessDataQuality>("insights.assess", "insights", "one")
            .AddCapability<AssessDataQualityV2>("insights.assess", "content", "two", version: 2));
        act.Should().Throw<SymphainyException>().Where(e => e.Code == "curator.incompatible_capability").WithMessage("*realm 'insights'*");
    }

    [Fact]
    public void A_version_that_changes_determinism_is_refused_as_incompatible()
    {
        var act = () => CuratorOf(b => b
            .AddCapability<AssessDataQuality>("insights.assess", "insights", "one", determinism: Determinism.Deterministic)
            .AddCapability<AssessDataQualityV2>("insights.assess", "insights", "two", version: 2, determinism: Determinism.AgentBacked));
        act.Should().Throw<SymphainyException>().Where(e => e.Code == "curator.incompatible_capability");
    }

    [Fact]
    public void A_malformed_descriptor_is_refused()
    {
        var act = () => CuratorOf(b => b.AddCapability<AssessDataQuality>("insights.assess", "", "no realm"));
        act.Should().Throw<SymphainyException>().Where(e => e.Code == "curator.invalid_capability");
    }

    [Theory]
    [InlineData("""{"parsedFileId": 7, "approvalThreshold": 1, "columns": []}""", "$.parsedFileId: expected string, got number")]
    [InlineData("""{"approvalThreshold": 1, "columns": []}""", "$.parsedFileId: is required")]
    [InlineData("""{"parsedFileId": "f", "approvalThreshold": "high", "columns": []}""", "$.approvalThreshold: expected integer, got string")]
    [InlineData("""{"parsedFileId": "f", "approvalThreshold": 1, "columns": ["a", 2]}""", "$.columns[1]: expected string, got number")]
    [InlineData("""[1, 2]""", "$: expected object")]
    public void A_bad_payload_is_refused_with_every_problem_naming_its_field(string payload, string problem)
    {
        var curator = CuratorOf(b => b.AddCapability<AssessDataQuality>("insights.assess", "insights", "d"));
        var problems = curator.Resolve("insights.assess", null)!.ValidatePayload(JsonDocument.Parse(payload).RootElement);
        problems.Should().ContainMatch(problem + "*");
    }

    [Fact]
    public void A_good_payload_passes_even_with_other_casing()
    {
        var curator = CuratorOf(b => b.AddCapability<AssessDataQuality>("insights.assess", "insights", "d"));
        curator.Resolve("insights.assess", null)!.ValidatePayload(JsonDocument.Parse("""{"ParsedFileId": "f", "approvalThreshold": 2, "columns": ["a"]}""").RootElement)
            .Should().BeEmpty();
    }

    [Fact]
    public async Task Intake_uses_the_curator_and_refuses_a_bad_payload_with_a_typed_error_naming_the_field()
    {
        var services = Build(b => b.AddCapability<AssessDataQuality>("insights.assess", "insights", "d"));
        services.GetRequiredService<ICapabilityResolver>().Should().BeOfType<Curator>();
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        var intake = services.GetRequiredService<IIntentIntake>();
        var tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(1)).Next<TenantId>();
        var act = async () => await intake.SubmitAsync(new Intent("insights.assess", tenant, JsonDocument.Parse("""{"parsedFileId": 7, "approvalThreshold": 1, "columns": []}""").RootElement));
        var error = (await act.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("intake.invalid_payload");
        error.Message.Should().Contain("$.parsedFileId");

        var accepted = await intake.SubmitAsync(new Intent("insights.assess", tenant, JsonDocument.Parse("""{"parsedFileId": "f", "approvalThreshold": 1, "columns": ["a", "b"]}""").RootElement));
        var end = await services.GetRequiredService<ISagaEngine>().WaitForEndAsync(tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(20));
        end.State.Should().Be(SagaState.Completed);
        foreach (var hosted in services.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }
}
