using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Configuration;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sessions;

public sealed class SessionRegistryTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryWriteAheadLog _wal;
    private readonly SessionRegistry _sessions;
    private readonly IdGenerator _ids;

    public SessionRegistryTests()
    {
        _wal = new InMemoryWriteAheadLog(_time);
        _ids = new IdGenerator(_time, new SeededRandomSource(9));
        _sessions = new SessionRegistry(new InMemoryHotStateStore(_time), _wal, _ids, _time, Options.Create(new SymphainyOptions()));
    }

    private async Task<List<WalRecord>> WalRecordsAsync()
    {
        var records = new List<WalRecord>();
        await foreach (var record in _wal.ReadAsync(1))
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task A_created_session_is_found_with_its_attributes_and_recorded_in_the_log()
    {
        var tenant = _ids.Next<TenantId>();
        var session = await _sessions.CreateAsync(tenant, attributes: new Dictionary<string, string> { ["user"] = "ada" });

        session.ExpiresAt.Should().Be(_time.GetUtcNow() + TimeSpan.FromMinutes(30));
        var found = await _sessions.GetOpenAsync(tenant, session.Id);
        found.Id.Should().Be(session.Id);
        found.Attributes.Should().Equal(new Dictionary<string, string> { ["user"] = "ada" });
        var record = (await WalRecordsAsync()).Single();
        record.Kind.Should().Be(WalRecordKind.SessionStarted);
        record.Session.Should().Be(session.Id);
        record.Tenant.Should().Be(tenant);
        Encoding.UTF8.GetString(record.Payload.Span).Should().Contain("ada");
    }

    [Fact]
    public async Task A_session_expires_after_its_time_to_live_unless_touched()
    {
        var tenant = _ids.Next<TenantId>();
        var kept = await _sessions.CreateAsync(tenant, TimeSpan.FromMinutes(10));
        var left = await _sessions.CreateAsync(tenant, TimeSpan.FromMinutes(10));

        _time.Advance(TimeSpan.FromMinutes(8));
        (await _sessions.TouchAsync(tenant, kept.Id)).ExpiresAt.Should().Be(_time.GetUtcNow() + TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(8));

        (await _sessions.GetAsync(tenant, kept.Id)).Should().NotBeNull();
        (await _sessions.GetAsync(tenant, left.Id)).Should().BeNull();
        var act = async () => await _sessions.GetOpenAsync(tenant, left.Id);
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.not_found");
    }

    [Fact]
    public async Task An_ended_session_refuses_work_and_ending_twice_reports_false()
    {
        var tenant = _ids.Next<TenantId>();
        var session = await _sessions.CreateAsync(tenant);

        (await _sessions.EndAsync(tenant, session.Id)).Should().BeTrue();
        (await _sessions.EndAsync(tenant, session.Id)).Should().BeFalse();

        (await _sessions.GetAsync(tenant, session.Id))!.EndedAt.Should().Be(_time.GetUtcNow());
        var act = async () => await _sessions.GetOpenAsync(tenant, session.Id);
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.ended");
        var touch = async () => await _sessions.TouchAsync(tenant, session.Id);
        (await touch.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.ended");
        (await WalRecordsAsync()).Select(r => r.Kind).Should().Equal(WalRecordKind.SessionStarted, WalRecordKind.SessionEnded);
    }

    [Fact]
    public async Task Another_tenant_cannot_see_touch_or_end_a_session()
    {
        var owner = _ids.Next<TenantId>();
        var other = _ids.Next<TenantId>();
        var session = await _sessions.CreateAsync(owner);

        (await _sessions.GetAsync(other, session.Id)).Should().BeNull();
        (await _sessions.EndAsync(other, session.Id)).Should().BeFalse();
        var touch = async () => await _sessions.TouchAsync(other, session.Id);
        (await touch.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("session.not_found");
        (await _sessions.GetOpenAsync(owner, session.Id)).IsEnded.Should().BeFalse();
    }

    [Fact]
    public async Task A_time_to_live_over_the_maximum_is_refused()
    {
        var act = async () => await _sessions.CreateAsync(_ids.Next<TenantId>(), TimeSpan.FromDays(8));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Message.Should().Contain("Symphainy:Sessions:MaxTtl");
        (await WalRecordsAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task The_session_flows_across_awaits_and_is_restored_when_the_scope_ends()
    {
        var tenant = _ids.Next<TenantId>();
        var outer = await _sessions.CreateAsync(tenant);
        var inner = await _sessions.CreateAsync(tenant);
        SessionContext.Current.Should().BeNull();

        using (SessionContext.Enter(outer))
        {
            await Task.Yield();
            SessionContext.Current.Should().Be(outer);
            using (SessionContext.Enter(inner))
            {
                (await Task.Run(() => SessionContext.Current)).Should().Be(inner, "it flows into work started from the flow");
            }

            SessionContext.Current.Should().Be(outer);
        }

        SessionContext.Current.Should().BeNull();
    }

    [Fact]
    public async Task Entering_a_session_scopes_log_lines_and_tags_the_current_activity()
    {
        var tenant = _ids.Next<TenantId>();
        var session = await _sessions.CreateAsync(tenant);
        var logs = new CapturingLoggerProvider();
        using var provider = new ServiceCollection().AddLogging(l => l.AddProvider(logs)).BuildServiceProvider();
        var logger = provider.GetRequiredService<ILogger<SessionRegistryTests>>();
        using var source = new ActivitySource("Symphainy.Tests.Sessions");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == source.Name, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        using var activity = source.StartActivity("work")!;

        using (SessionContext.Enter(session, logger))
        {
            provider.GetRequiredService<ILogger<SessionContextProbe>>().LogInformation("inside");
        }

        logs.Lines.Should().ContainSingle().Which.Should().Contain($"SessionId={session.Id}").And.Contain($"TenantId={tenant}");
        activity.GetTagItem("symphainy.session_id").Should().Be(session.Id.ToString());
        activity.GetTagItem("symphainy.tenant_id").Should().Be(tenant.ToString());
    }

    private sealed class SessionContextProbe;
}
