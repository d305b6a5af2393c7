using Microsoft.Extensions.DependencyInjection;
using Symphainy.Events;
using Symphainy.Sagas;

namespace Symphainy.SmartCity.Tests;

public sealed class PostOfficeTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    private SymphainyPrincipal Of(TenantId tenant) => new("reader", tenant, new HashSet<string>());

    private async Task<List<SagaId>> CompleteAsync(SmartCityHost host, int count)
    {
        var sagas = new List<SagaId>();
        for (var i = 0; i < count; i++)
        {
            var saga = (await host.SubmitAsync("orders.place", _tenant, Of(_tenant))).Execution;
            (await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
            sagas.Add(saga);
        }

        return sagas;
    }

    [Fact]
    public async Task A_subscription_to_another_tenants_events_is_refused_before_anything_is_read()
    {
        await using var host = await SmartCityHost.StartAsync();
        await CompleteAsync(host, 1);
        var office = host.Services.GetRequiredService<PostOffice>();
        using (SymphainyPrincipal.Use(Of(_other)))
        {
            var subscribe = () => office.SubscribeAsync("spy", _tenant);
            subscribe.Should().Throw<SymphainyException>().Which.Code.Should().Be("security.forbidden");
        }

        var anonymous = () => office.SubscribeAsync("spy", _tenant);
        anonymous.Should().Throw<SymphainyException>().Which.Code.Should().Be("security.unauthenticated");
    }

    [Fact]
    public async Task Topics_filter_by_kind_and_a_subscriber_resumes_after_its_last_acknowledged_event()
    {
        await using var host = await SmartCityHost.StartAsync();
        var first = await CompleteAsync(host, 3);
        var office = host.Services.GetRequiredService<PostOffice>();
        using var _ = SymphainyPrincipal.Use(Of(_tenant));
        var completions = new EventFilter(new HashSet<ExecutionEventKind> { ExecutionEventKind.SagaCompleted });

        var seen = new List<ExecutionEvent>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await foreach (var e in office.SubscribeAsync("billing", _tenant, completions, fromPosition: 1, cancellationToken: timeout.Token))
            {
                seen.Add(e);
                if (seen.Count == 2)
                {
                    await office.AcknowledgeAsync("billing", _tenant, e.Position); // the third is delivered but not acknowledged
                }

                if (seen.Count == 3)
                {
                    break;
                }
            }
        }

        seen.Select(e => e.Kind).Should().OnlyContain(k => k == ExecutionEventKind.SagaCompleted);
        seen.Select(e => e.Saga).Should().Equal(first);

        var more = await CompleteAsync(host, 1);
        var resumed = new List<ExecutionEvent>();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await foreach (var e in office.SubscribeAsync("billing", _tenant, completions, cancellationToken: timeout.Token))
            {
                resumed.Add(e);
                if (resumed.Count == 2)
                {
                    break;
                }
            }
        }

        // At least once: the unacknowledged third completion comes again, then the new one.
        resumed.Select(e => e.Saga).Should().Equal(first[2], more[0]);
        (await office.CursorAsync("billing", _tenant)).Should().Be(seen[1].Position);
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_its_buffer_is_disconnected_with_a_typed_error_under_that_policy()
    {
        await using var host = await SmartCityHost.StartAsync(new()
        {
            ["Symphainy:SmartCity:PostOffice:BufferSize"] = "2",
            ["Symphainy:SmartCity:PostOffice:SlowSubscribers"] = "Disconnect",
        });
        await CompleteAsync(host, 5); // about 25 events, far more than the buffer holds
        var office = host.Services.GetRequiredService<PostOffice>();
        using var _ = SymphainyPrincipal.Use(Of(_tenant));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var read = async () =>
        {
            await foreach (var e in office.SubscribeAsync("slow", _tenant, fromPosition: 1, cancellationToken: timeout.Token))
            {
                await Task.Delay(50, timeout.Token); // slower than the log is read
            }
        };
        var error = (await read.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("postoffice.subscriber_too_slow");
        error.IsRetryable.Should().BeTrue();
    }
}
