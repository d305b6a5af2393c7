using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Blobs;
using Symphainy.Hosting;
using Symphainy.Realms;
using Symphainy.Samples.Realms.Content;
using Symphainy.Samples.Realms.Insights;
using Symphainy.Samples.Realms.Outcomes;
using Symphainy.Testing;

namespace Symphainy.Samples.Realms.Tests;

/// <summary>
/// One intent across the three realms: upload, assess, explain, report; recorded, replayed after a crash, and replayed
/// from a recording against the current code. Every host is a <see cref="SymphainyTestHost"/>: the whole platform in
/// process, Smart City included, on a fake clock.
/// </summary>
public sealed partial class ReportFlowTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-samples-");

    private static ReportRequest Request => new(SampleFiles.Inline(SampleFiles.Orders), SampleFiles.Inline(SampleFiles.Policy));

    public void Dispose() => _directory.Delete(recursive: true);

    private static void Realms(ISymphainyBuilder symphainy) => symphainy.AddRealm<ContentRealm>().AddRealm<InsightsRealm>().AddRealm<OutcomesRealm>();

    private static Task<SymphainyTestHost> StartAsync(CountingChatClient chat, bool fileLog = false) =>
        SymphainyTestHost.StartAsync(Realms, o => (o.ChatClient, o.UseFileLog) = (chat, fileLog));

    private static async Task<T> RunAsync<T>(SymphainyTestHost host, string type, object payload)
    {
        var run = await host.RunAsync(type, payload);
        run.Should().HaveCompleted($"{type} should complete");
        return run.Output<T>();
    }

    [Fact]
    public async Task The_report_lists_exactly_the_known_defects_of_the_sample_orders()
    {
        await using var host = await StartAsync(new CountingChatClient());
        var report = await RunAsync<GeneratedReport>(host, "outcomes.generate_report", Request);

        report.Defects.Select(d => d.Key).Should().BeEquivalentTo(SampleFiles.KnownDefects, "the assessment finds those defects, no more, no fewer");
        var listed = DefectLine().Matches(report.Report.Markdown).Select(m => $"{m.Groups[1].Value}@{m.Groups[2].Value}").ToList();
        listed.Should().BeEquivalentTo(SampleFiles.KnownDefects, "the report lists those defects, no more, no fewer");
        listed.Should().OnlyHaveUniqueItems();
        report.Report.Markdown.Should().Contain("## Defects (5)");

        report.Defects.Single(d => d.Kind == "missing_value").Rules.Should().Equal([3], "the policy's rule 3 says email must be present: one defect, citing the rule");
        report.Defects.Single(d => d.Kind == "duplicate_value").Description.Should().Be("Row 6 repeats order_id 1003 of row 3.");
        report.Defects.Single(d => d.Kind == "outlier").Description.Should().Be("Row 5 has 9800.00 in column amount, outside the IQR fences -60 to 260.");
        report.Defects.Single(d => d.Kind == "not_positive").Rules.Should().Equal(1);

        foreach (var defect in report.Defects)
        {
            report.Report.Html.Should().Contain($"<strong>{defect.Kind}</strong> <code>{defect.Reference}</code>");
        }

        report.Report.MarkdownSha256.Should().Be(Sha256(report.Report.Markdown));
        report.Report.HtmlSha256.Should().Be(Sha256(report.Report.Html));
    }

    [Fact]
    public async Task Every_agent_claim_cites_a_fact_the_agent_gathered_and_every_defect_is_explained()
    {
        await using var host = await StartAsync(new CountingChatClient());
        var report = await RunAsync<GeneratedReport>(host, "outcomes.generate_report", Request);

        var artifacts = new (string Agent, IReadOnlyList<Symphainy.Agents.Claim> Claims, IReadOnlyList<Symphainy.Agents.Fact> Facts)[]
        {
            ("analysis", report.Analysis.Result.Claims, report.Analysis.Facts),
            ("summary", report.Summary.Result.Claims, report.Summary.Facts),
        };
        foreach (var (agent, claims, facts) in artifacts)
        {
            claims.Should().NotBeEmpty($"the {agent} makes claims");
            var ids = facts.Select(f => f.Id).ToHashSet();
            foreach (var claim in claims)
            {
                claim.Citations.Should().NotBeEmpty($"{agent} claim \"{claim.Text}\" cites a fact");
                claim.Citations.Should().OnlyContain(id => ids.Contains(id), $"{agent} claim \"{claim.Text}\" cites facts it gathered");
            }
        }

        report.Analysis.Warnings.Should().BeEmpty();
        report.Summary.Warnings.Should().BeEmpty();

        // The analysis's facts come from the defects, each cited by its cell: every defect is explained by a claim.
        var cited = report.Analysis.Result.Claims.SelectMany(c => c.Citations).Select(id => report.Analysis.Facts.Single(f => f.Id == id).Source).ToHashSet();
        cited.Should().Contain(report.Defects.Select(d => d.Reference));
        report.Summary.Facts.Select(f => f.Source).Should().Contain(["policy.txt#line=6", "policy.txt#line=7", "policy.txt#line=8", "orders.csv#defects=outlier"]);
        report.Report.Markdown.Should().Contain("(cites f1: `orders.csv#row=2;column=email`)");
    }

    [Fact]
    public async Task A_crashed_host_replays_the_recorded_steps_and_agent_outputs_and_reproduces_the_report_hash()
    {
        // The reference: the same intent run without interruption.
        string expected;
        await using (var straight = await StartAsync(new CountingChatClient()))
        {
            expected = (await RunAsync<GeneratedReport>(straight, "outcomes.generate_report", Request)).Report.MarkdownSha256;
        }

        // The host is killed while the synthesis agent is being asked: ingestion, assessment and the analyst's output are recorded.
        var chat = new CountingChatClient(holdWhenAsked: ReportSynthesizer.Asks);
        await using var host = await StartAsync(chat, fileLog: true);
        var run = await host.SubmitAsync("outcomes.generate_report", Request);
        await chat.Entered.WaitAsync(TimeSpan.FromSeconds(60));
        chat.CallsFor(QualityAnalyst.Asks).Should().Be(2, "the analyst was asked once to extract facts and once to reason");
        var (analystBefore, synthesisBefore) = (chat.CallsFor(QualityAnalyst.Asks), chat.CallsFor(ReportSynthesizer.Asks));

        // A new host on the same log recovers the saga: recorded steps return their results, the analyst is not asked again.
        await host.CrashAndRecoverAsync();
        (await run.WaitForEndAsync()).Should().HaveCompleted();
        var report = run.Output<GeneratedReport>();

        report.Report.MarkdownSha256.Should().Be(expected, "replaying the log reproduces the report");
        report.Defects.Select(d => d.Key).Should().BeEquivalentTo(SampleFiles.KnownDefects);
        (chat.CallsFor(QualityAnalyst.Asks) - analystBefore).Should().Be(0, "the analyst's recorded output is replayed, never asked for again");
        (chat.CallsFor(ReportSynthesizer.Asks) - synthesisBefore).Should().Be(2, "the synthesis was not recorded before the crash, so it runs after the recovery");
        run.History.Steps.GroupBy(s => s.Index).Should().OnlyContain(g => g.Count() == 1, "no step is recorded twice");
    }

    [Fact]
    public async Task A_recorded_report_replays_against_the_current_realms_without_asking_any_agent()
    {
        var path = Path.Combine(_directory.FullName, "report.wal");
        await using (var host = await StartAsync(new CountingChatClient()))
        {
            var run = await host.RunAsync("outcomes.generate_report", Request);
            run.Should().HaveCompleted().And.HaveAgentOutputCitingItsFacts(run.History.Steps.First(s => s.Kind == Symphainy.Wal.Records.StepKind.Agent).Name);
            await host.RecordAsync(run, path);
        }

        var replaying = new CountingChatClient();
        var result = await SymphainyTestHost.ReplayAsync(path, Realms, o => o.ChatClient = replaying);

        result.Should().BeDeterministic();
        result.End!.GetOutput<GeneratedReport>()!.Defects.Select(d => d.Key).Should().BeEquivalentTo(SampleFiles.KnownDefects);
        replaying.CallsFor(QualityAnalyst.Asks).Should().Be(0, "every agent output is replayed from the recording");
        replaying.CallsFor(ReportSynthesizer.Asks).Should().Be(0);
    }

    [Fact]
    public async Task An_uploaded_file_is_read_from_the_blob_store_and_gives_the_same_report_as_inline_content()
    {
        await using var host = await StartAsync(new CountingChatClient());
        var inline = await RunAsync<GeneratedReport>(host, "outcomes.generate_report", Request);

        using var upload = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(SampleFiles.Read(SampleFiles.Orders)));
        var blob = await host.Services.GetRequiredService<IBlobStore>().PutAsync(host.Tenant, upload);
        var uploaded = await RunAsync<GeneratedReport>(host, "outcomes.generate_report",
            new ReportRequest(new SourceFile(SampleFiles.Orders, Blob: blob.Sha256), SampleFiles.Inline(SampleFiles.Policy)));

        uploaded.Report.MarkdownSha256.Should().Be(inline.Report.MarkdownSha256);

        var missing = await host.RunAsync("content.ingest", new IngestRequest([new SourceFile("gone.csv", Blob: new string('0', 64))]));
        missing.Should().HaveFailedWith("saga.step_failed");
        missing.Error!.Message.Should().Contain("content.read:gone.csv").And.Contain("No document");
    }

    [Fact]
    public async Task Each_realm_capability_runs_on_its_own()
    {
        await using var host = await StartAsync(new CountingChatClient());

        var ingested = await RunAsync<IngestedContent>(host, "content.ingest", new IngestRequest([SampleFiles.Inline(SampleFiles.Orders), SampleFiles.Inline(SampleFiles.Policy)]));
        ingested.Documents.Select(d => (d.Name, d.Kind, d.Table?.Rows.Count ?? d.Chunks.Count)).Should().Equal(("orders.csv", "csv", 14), ("policy.txt", "text", 4));
        ingested.Artifacts.Should().Contain(a => a.Reference == "orders.csv#row=3" && a.Title.Contains("customer = Hopper, Grace"));
        ingested.Artifacts.Should().Contain(a => a.Reference == "policy.txt#chunk=3;lines=6-8");

        var retrieved = await RunAsync<RetrievedFacts>(host, "content.retrieve", new RetrieveRequest([SampleFiles.Inline(SampleFiles.Orders)], ["orders.csv#row=8"]));
        retrieved.Facts.Should().ContainSingle().Which.Statement.Should().Contain("customer = Frances \"Fran\" Allen");

        var quality = await RunAsync<QualityReport>(host, "insights.assess_data_quality", new AssessRequest(SampleFiles.Inline(SampleFiles.Orders), SampleFiles.Inline(SampleFiles.Policy)));
        quality.Assessment.Defects.Select(d => d.Key).Should().BeEquivalentTo(SampleFiles.KnownDefects);

        var schema = await RunAsync<SchemaComparison>(host, "insights.match_schemas", new MatchRequest(SampleFiles.Inline(SampleFiles.Reference), SampleFiles.Inline(SampleFiles.Orders)));
        schema.Renamed.Select(m => (m.Left, m.Right)).Should().Equal(("customer_name", "customer"), ("date", "order_date"));
        schema.MissingFromRight.Should().Equal("channel");
        schema.AddedInRight.Should().BeEmpty();

        var withReference = await RunAsync<GeneratedReport>(host, "outcomes.generate_report", Request with { Reference = SampleFiles.Inline(SampleFiles.Reference) });
        withReference.Report.Markdown.Should().Contain("## Schema compared with `orders_reference.csv`").And.Contain("- Missing: channel");
        withReference.Defects.Select(d => d.Key).Should().BeEquivalentTo(SampleFiles.KnownDefects, "the schema comparison adds no defect");
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex(@"^- \*\*([a-z_]+)\*\* `([^`]+)`: ", RegexOptions.Multiline)]
    private static partial Regex DefectLine();
}
