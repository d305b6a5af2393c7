using Symphainy.Realms;
namespace Symphainy.Testing.Tests;

public sealed class ReplayTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("symphainy-replay-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task An_unchanged_orchestrator_replays_its_recording()
    {
        var recording = await RecordCheckoutAsync();

        var result = await SymphainyTestHost.ReplayAsync(recording, s => s.AddRealm<ShopRealm>());

        result.Should().BeDeterministic();
        result.End!.State.Should().Be(Symphainy.Sagas.SagaState.Completed);
        result.End.GetOutput<Receipt>().Should().Be(new Receipt("res-book-2", "chg-20", null));
    }

    [Fact]
    public async Task A_change_of_step_order_fails_the_replay_with_a_diff_that_says_what_changed()
    {
        var path = await RecordCheckoutPathAsync();

        var result = await SymphainyTestHost.ReplayAsync(path, ChangedCheckouts.Use<ChangedCheckouts.Reordered>);

        result.IsDeterministic.Should().BeFalse();
        result.Differences.Should().ContainSingle().Which.Description.Should().Be("step 0: recorded step `reserve`, code now runs step `charge` (recorded as step 1)");
        var error = ((Action)result.ThrowIfDiverged).Should().Throw<SymphainyException>().Which;
        error.Code.Should().Be("testing.replay_diverged");
        error.Message.Should().Be(
            $"Replay of execution {result.Recording.Execution} (shop.checkout, shop.checkout v1, recorded in checkout.wal (log format 2)) differs from the recording:{Environment.NewLine}" +
            $"  step 0: recorded step `reserve`, code now runs step `charge` (recorded as step 1){Environment.NewLine}" +
            "Recorded steps: 0 `reserve`, 1 `charge`, 2 `cool-off`, 3 `ship`. Keep the old orchestrator registered under its version and register the changed one as a new version.");
        var assertion = () => result.Should().BeDeterministic();
        assertion.Should().Throw<Xunit.Sdk.XunitException>().Which.Message.Should().Contain("step 0: recorded step `reserve`, code now runs step `charge`");
    }

    [Fact]
    public async Task A_renamed_step_is_named_with_what_was_recorded_there()
    {
        var result = await SymphainyTestHost.ReplayAsync(await RecordCheckoutPathAsync(), ChangedCheckouts.Use<ChangedCheckouts.Renamed>);

        result.Differences.Select(d => d.Description).Should().Equal("step 1: recorded step `charge`, code now runs step `bill` (a step the recording does not have)");
    }

    [Fact]
    public async Task A_step_removed_at_the_end_is_found()
    {
        var result = await SymphainyTestHost.ReplayAsync(await RecordCheckoutPathAsync(), ChangedCheckouts.Use<ChangedCheckouts.WithoutShipping>);

        result.Differences.Select(d => d.Description).Should().Equal("step 3: recorded step `ship`, code now returns without calling it");
    }

    [Fact]
    public async Task A_step_added_at_the_end_is_found()
    {
        var result = await SymphainyTestHost.ReplayAsync(await RecordCheckoutPathAsync(), ChangedCheckouts.Use<ChangedCheckouts.WithNotification>);

        result.Differences.Select(d => d.Description).Should().Equal("step 4: not in the recording, code now runs step `notify`");
    }

    [Fact]
    public async Task A_recorded_failure_with_compensation_replays_to_the_same_end()
    {
        await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>());
        var run = await host.RunAsync("shop.checkout", new Order("chair", 0));
        var path = Path.Combine(_directory.FullName, "failed.wal");
        await host.RecordAsync(run, path);

        var result = await SymphainyTestHost.ReplayAsync(path, s => s.AddRealm<ShopRealm>());

        result.Should().BeDeterministic();
        result.End!.State.Should().Be(Symphainy.Sagas.SagaState.Failed);
        result.Recording.History.Compensations.Select(c => c.Name).Should().Equal("reserve");
    }

    private async Task<ExecutionRecording> RecordCheckoutAsync() => await ExecutionRecording.LoadAsync(await RecordCheckoutPathAsync());

    private async Task<string> RecordCheckoutPathAsync()
    {
        await using var host = await SymphainyTestHost.StartAsync(s => s.AddRealm<ShopRealm>());
        var run = await host.SubmitAsync("shop.checkout", new Order("book", 2));
        await host.AdvanceAsync(TimeSpan.FromMinutes(5));
        (await run.WaitForEndAsync()).Should().HaveCompleted();
        var path = Path.Combine(_directory.FullName, "checkout.wal");
        var recording = await host.RecordAsync(run, path);
        recording.History.Steps.Select(s => s.Name).Should().Equal("reserve", "charge", "cool-off", "ship");
        return path;
    }
}
