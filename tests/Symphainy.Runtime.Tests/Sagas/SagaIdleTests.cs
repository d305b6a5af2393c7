using Microsoft.Extensions.DependencyInjection;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>
/// <see cref="ISagaEngine.WhenIdleAsync"/> never completes while a saga can still move on its own: in particular not
/// between a cancellation ending a saga's wait and the saga running again.
/// </summary>
public sealed class SagaIdleTests
{
    [Theory]
    [InlineData("a signal wait")]
    [InlineData("a timer")]
    [InlineData("a retry backoff")]
    public async Task Once_a_cancel_returns_idleness_waits_for_the_cancelled_saga_to_end(string parkedIn)
    {
        for (var round = 0; round < 5; round++)
        {
            var journal = new Journal();
            await using var host = await SagaTestHost.StartAsync(
                s => s.AddSaga<ApproveOrder>("orders.approve").AddSaga<ReserveThenCoolOff>("orders.cool_off").AddSaga<PlaceOrder>("orders.place"),
                journal);
            if (parkedIn == "a retry backoff")
            {
                host.Services.GetRequiredService<FailureSwitch>().TransientFailures = 1;
            }

            var type = parkedIn switch { "a signal wait" => "orders.approve", "a timer" => "orders.cool_off", _ => "orders.place" };
            var accepted = await host.SubmitAsync(type, new OrderInput($"o-{round}", 1));
            await host.WaitForStateAsync(accepted.Execution, parkedIn == "a retry backoff" ? SagaState.Running : SagaState.Waiting);

            await host.Engine.CancelAsync(host.Tenant, accepted.Execution, "changed my mind");
            await host.IdleAsync();

            (await host.Engine.GetAsync(host.Tenant, accepted.Execution))!.State.Should().Be(SagaState.Cancelled, "idleness waits for the woken saga (round {0})", round);
            journal.Entries.Should().Contain($"release res-o-{round}");
        }
    }
}
