using System.Diagnostics;

namespace Symphainy.PublicWorks.Redis.Tests;

public sealed class RedisHostSampleTests
{
    [Fact]
    public async Task The_redis_sample_runs_a_saga_on_a_real_server_and_follows_it_through_the_redis_event_bus()
    {
        await using var server = await RedisServer.StartAsync();
        var sample = Symphainy.Conformance.BuiltPrograms.Dll("samples/RedisHost");
        var data = Directory.CreateTempSubdirectory("symphainy-redis-sample");
        var start = new ProcessStartInfo("dotnet", [sample])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = data.FullName,
            Environment =
            {
                ["Symphainy__Redis__ConnectionString"] = server.ConnectionString,
                ["Symphainy__DataDirectory"] = data.FullName,
            },
        };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        var logs = await errors;

        process.ExitCode.Should().Be(0, output + logs);
        output.Should().Contain("Write-ahead log: RedisWriteAheadLog").And.Contain("Event bus:       RedisExecutionEventBus");
        output.Should().MatchRegex(@"duplicate: True");
        output.Should().MatchRegex(@"StepCompleted\s+check").And.MatchRegex(@"StepCompleted\s+reserve").And.MatchRegex(@"SagaCompleted");
        output.Should().Contain("Saga Completed: reserved 3 x tea-earl-grey");
    }
}
