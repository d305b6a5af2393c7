using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>What does not fit the log, malformed payloads, sessions at intake, and bad watch positions: each a typed error.</summary>
public sealed class RecordLimitsTests : IDisposable
{
    private const int MaxRecordBytes = 16 * 1024;
    private readonly Journal _journal = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-limits-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 9, 3, 8, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(23)).Next<TenantId>();

    public void Dispose() => _directory.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync() => SagaTestHost.StartAsync(
        s => s.AddCapability<BigStepResult>("work.big_step", "work", "a step with a large result")
              .AddCapability<BigOutput>("work.big_output", "work", "a large output")
              .AddCapability<ThreeSlowSteps>("work.three", "work", "three yielding steps"),
        _journal,
        dataDirectory: _directory.FullName,
        time: _time,
        tenant: _tenant,
        services: services => services.AddSingleton<SlowWork>(),
        settings: new Dictionary<string, string?> { ["Symphainy:Wal:MaxRecordBytes"] = MaxRecordBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    [Fact]
    public async Task A_step_result_larger_than_a_record_fails_the_step_compensates_and_stays_failed_after_restart()
    {
        SagaId saga;
        await using (var host = await StartAsync())
        {
            saga = (await host.SubmitAsync("work.big_step", new WorkInput("b-1", MaxRecordBytes * 2))).Execution;
            var end = await host.CompletionAsync(saga);
            end.State.Should().Be(SagaState.Failed);
            end.Error!.Step.Should().Be("big");
            var failure = (await host.RecordsAsync(saga)).Where(r => r.Kind == WalRecordKind.StepFailed).Select(r => (StepFailedPayload)WalPayloadCodec.Decode(r)).Single();
            failure.Should().Match<StepFailedPayload>(f => f.Final && f.Name == "big" && f.Error.Code == "step.result_not_recordable");
            _journal.Entries.Should().Equal("reserve b-1 x1", "release res-b-1");
        }

        await using var restarted = await StartAsync();
        await restarted.IdleAsync();
        (await restarted.Engine.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Failed, "an ended saga is not run again");
        _journal.Entries.Should().HaveCount(2, "nothing re-ran after the restart");
    }

    [Fact]
    public async Task A_saga_output_larger_than_a_record_fails_the_saga_with_a_typed_error()
    {
        await using var host = await StartAsync();
        var saga = (await host.SubmitAsync("work.big_output", new WorkInput("o-1", MaxRecordBytes * 2))).Execution;
        var end = await host.CompletionAsync(saga);
        end.State.Should().Be(SagaState.Failed);
        end.Error!.Code.Should().Be("step.result_not_recordable");
        _journal.Entries.Should().Equal("reserve o-1 x1", "release res-o-1");
    }

    [Theory]
    [InlineData("work.three")]
    [InlineData(BuiltInIntents.Signal)]
    public async Task A_payload_nested_deeper_than_the_limit_is_refused_with_a_typed_error(string type)
    {
        await using var host = await StartAsync();
        var deep = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            deep.Append("{\"a\":");
        }

        deep.Append('1').Append('}', 200);
        using var document = JsonDocument.Parse(deep.ToString(), new JsonDocumentOptions { MaxDepth = 1000 });
        var payload = type == BuiltInIntents.Signal
            ? JsonDocument.Parse($"{{\"sagaId\":\"{new IdGenerator(_time, new SeededRandomSource(1)).Next<SagaId>()}\",\"name\":\"x\",\"value\":{deep}}}", new JsonDocumentOptions { MaxDepth = 1000 }).RootElement
            : document.RootElement;
        var before = host.Wal.NextPosition;

        var act = async () => await host.Intake.SubmitAsync(new Intent(type, _tenant, payload));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("intake.invalid_payload");
        host.Wal.NextPosition.Should().Be(before);
    }

    [Fact]
    public async Task Intake_checks_the_session_unknown_ended_and_another_tenants_are_refused()
    {
        await using var host = await StartAsync();
        var sessions = host.Services.GetRequiredService<ISessionRegistry>();
        var open = await sessions.CreateAsync(_tenant);
        var ended = await sessions.CreateAsync(_tenant);
        await sessions.EndAsync(_tenant, ended.Id);
        var otherTenant = new IdGenerator(_time, new SeededRandomSource(2)).Next<TenantId>();
        var foreign = await sessions.CreateAsync(otherTenant);
        var unknown = new IdGenerator(_time, new SeededRandomSource(3)).Next<SessionId>();
        Intent In(SessionId session) => new("work.three", _tenant, JsonSerializer.SerializeToElement(new WorkInput("s")), Session: session);

        (await host.Intake.SubmitAsync(In(open.Id))).Duplicate.Should().BeFalse();
        foreach (var (session, code) in new[] { (unknown, "session.not_found"), (ended.Id, "session.ended"), (foreign.Id, "session.not_found") })
        {
            var act = async () => await host.Intake.SubmitAsync(In(session));
            (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be(code);
        }
    }

    [Fact]
    public async Task Sessions_survive_a_restart_open_and_ended()
    {
        Session open, ended;
        await using (var host = await StartAsync())
        {
            var sessions = host.Services.GetRequiredService<ISessionRegistry>();
            open = await sessions.CreateAsync(_tenant, attributes: new Dictionary<string, string> { ["user"] = "ada" });
            ended = await sessions.CreateAsync(_tenant);
            await sessions.EndAsync(_tenant, ended.Id);
        }

        await using var restarted = await StartAsync();
        var registry = restarted.Services.GetRequiredService<ISessionRegistry>();
        var restored = await registry.GetOpenAsync(_tenant, open.Id);
        restored.Attributes.Should().Contain("user", "ada");
        restored.ExpiresAt.Should().Be(open.ExpiresAt);
        var act = async () => await registry.GetOpenAsync(_tenant, ended.Id);
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.ended");
        (await restarted.Intake.SubmitAsync(new Intent("work.three", _tenant, JsonSerializer.SerializeToElement(new WorkInput("r")), Session: open.Id))).Duplicate.Should().BeFalse();
    }

    [Fact]
    public async Task Watching_from_a_position_below_one_is_refused_with_a_typed_error()
    {
        await using var host = await StartAsync();
        var act = () => host.Engine.WatchAsync(_tenant, null, -5);
        act.Should().Throw<SymphainyException>().Which.Code.Should().Be("events.invalid_position");
        host.Engine.Invoking(e => e.WatchAsync(_tenant, null, 0)).Should().Throw<SymphainyException>();
    }
}
