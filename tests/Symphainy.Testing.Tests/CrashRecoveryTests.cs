using Symphainy.Realms;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.Testing.Tests;

/// <summary>Kill a host without a stop and start another on the same log.</summary>
[Collection(nameof(Gated))]
public sealed class CrashRecoveryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_step_cut_short_by_a_crash_runs_again_after_recovery_and_is_recorded_once(bool fileLog)
    {
        Gated.Reset();
        await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>(), o => o.UseFileLog = fileLog);
        var run = await host.SubmitAsync("shop.gated", new Order("lamp", 1));
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        await host.CrashAndRecoverAsync();
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // the new host runs the step again
        Gated.Open.Release();

        (await run.WaitForEndAsync()).Should().HaveCompleted().And.HaveStepsInOrder("reserve", "pack", "ship");
        run.Output<int>().Should().Be("res-lamp-1".Length + 1);
        Gated.Runs.Should().Be(2, "a step is executed at least once: the crash cut its first run short");
        run.History.Records.Count(r => r.Kind == WalRecordKind.SagaStarted).Should().Be(1);
        host.Generation.Should().Be(2);
        if (fileLog)
        {
            Directory.GetFiles(Path.Combine(host.DataDirectory, "wal"), "*.wal").Should().NotBeEmpty("the log lives in segment files that outlived the first host");
        }
    }

    [Fact]
    public async Task A_timer_recorded_before_the_crash_fires_at_its_recorded_due_time_after_recovery()
    {
        await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>());
        var run = await host.SubmitAsync("shop.checkout", new Order("bike", 1));
        await host.AdvanceAsync(TimeSpan.FromMinutes(3));

        await host.CrashAndRecoverAsync();
        await host.AdvanceAsync(TimeSpan.FromMinutes(1));
        (await host.Engine.GetAsync(host.Tenant, run.Id))!.State.Should().Be(SagaState.Waiting, "one minute of the cool-off is left");
        await host.AdvanceAsync(TimeSpan.FromMinutes(1));

        (await run.WaitForEndAsync()).Should().HaveCompleted().And.HaveStepsInOrder("reserve", "charge", "cool-off", "ship");
    }

    [Fact]
    public async Task What_the_killed_host_does_after_the_crash_never_reaches_the_log()
    {
        Gated.Reset();
        await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>());
        var run = await host.SubmitAsync("shop.gated", new Order("lamp", 1));
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        var before = host.Log.NextPosition;
        host.Faults.FailService<Inventory>(times: 1); // not consumed by the dead host: nothing runs there any more

        await host.CrashAndRecoverAsync();
        await Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        host.Log.NextPosition.Should().Be(before, "recovery replays; the first record after the crash is the step's completion");
        Gated.Open.Release();
        await run.WaitForEndAsync();

        run.History.Records.Where(r => r.Position >= before).Select(r => r.Kind).Should().Equal(WalRecordKind.StepCompleted, WalRecordKind.StepCompleted, WalRecordKind.SagaEnded);
        host.Faults.Fired<Inventory>().Should().Be(0, "the recorded 'reserve' is replayed, never run again");
    }
}
