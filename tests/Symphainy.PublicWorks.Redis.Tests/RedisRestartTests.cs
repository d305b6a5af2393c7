using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.PublicWorks.Redis.Tests;

/// <summary>The Redis server is killed (SIGKILL) under load and started again on its append-only file.</summary>
public sealed class RedisRestartTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    [Fact]
    public async Task Killing_the_server_under_load_fails_calls_typed_and_retryable_and_loses_nothing_acknowledged()
    {
        await using var server = await RedisServer.StartAsync();
        var acknowledged = new ConcurrentBag<SagaId>();
        var refused = new ConcurrentBag<SymphainyException>();
        var untyped = new ConcurrentBag<Exception>();
        using (var host = await StartAsync(server))
        {
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var state = host.Services.GetRequiredService<IHotStateStore>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        var accepted = await intake.SubmitAsync(new Intent("tests.double", _tenant, JsonSerializer.SerializeToElement(new RedisHostTests.Number(i)), IdempotencyKey: $"w{w}-{i}"));
                        acknowledged.Add(accepted.Execution);
                        await state.SetAsync(_tenant, $"w{w}", BitConverter.GetBytes(i));
                    }
                    catch (SymphainyException e)
                    {
                        refused.Add(e);
                        await Task.Delay(20);
                    }
                    catch (Exception e)
                    {
                        untyped.Add(e);
                    }
                }
            })).ToArray();

            await WaitUntilAsync(() => acknowledged.Count >= 200);
            await server.KillAsync();
            var before = acknowledged.Count;
            await WaitUntilAsync(() => refused.Count >= 8);
            await server.RestartAsync(); // same port, same append-only file
            await WaitUntilAsync(() => acknowledged.Count >= before + 200); // work resumes on the same host
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            // The same host finishes every acknowledged saga once the server is back, those whose records failed
            // while it was away too (read back from the log, where some of them did land): no restart needed.
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            foreach (var saga in acknowledged)
            {
                (await engine.WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(60))).State.Should().Be(SagaState.Completed);
            }

            await host.StopAsync();
        }

        untyped.Should().BeEmpty("every failure while the server is away is a typed error");
        refused.Should().NotBeEmpty().And.OnlyContain(e => e.IsRetryable, "a server that is away is worth retrying");
        refused.Select(e => e.Code).Distinct().Should().BeSubsetOf(["redis.unavailable", "wal.io_failed", "redis.command_failed"]);

        // Every acknowledged intent is in the log once, and its saga completed exactly once: a host started again
        // finds them all ended.
        using var restarted = await StartAsync(server);
        var recovered = restarted.Services.GetRequiredService<ISagaEngine>();
        foreach (var saga in acknowledged)
        {
            (await recovered.GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Completed);
        }

        var received = new Dictionary<SagaId, int>();
        var ended = new Dictionary<SagaId, List<SagaState>>();
        await foreach (var record in restarted.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga is not { } saga)
            {
                continue;
            }

            if (record.Kind == WalRecordKind.IntentReceived)
            {
                received[saga] = received.GetValueOrDefault(saga) + 1;
            }
            else if (record.Kind == WalRecordKind.SagaEnded)
            {
                (ended.TryGetValue(saga, out var states) ? states : ended[saga] = []).Add(((SagaEndedPayload)WalPayloadCodec.Decode(record)).State);
            }
        }

        foreach (var saga in acknowledged)
        {
            received.GetValueOrDefault(saga).Should().Be(1, "acknowledged intent {0} is recorded once", saga);
            ended.GetValueOrDefault(saga).Should().Equal([SagaState.Completed], "saga {0} completes exactly once", saga);
        }

        await restarted.StopAsync();
    }

    private sealed class KeepEverything : IWalRetentionHold
    {
        public long RetainFrom => 1;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within a minute");
            await Task.Delay(10);
        }
    }

    private static async Task<IHost> StartAsync(RedisServer server)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Redis:ConnectionString"] = server.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Symphainy:Sagas:LeaseDuration"] = "00:00:02", // the first host's leases on sagas it could not finish expire soon
            ["Symphainy:Sagas:EndedSagasKept"] = "1000000", // the test asks the restarted host about every saga of the run
        });
        builder.Logging.ClearProviders();
        new SymphainyBuilder(builder.Services).AddCapability<RedisHostTests.Doubling>("tests.double", "tests", "doubles a number").UseRedis();
        builder.Services.AddSingleton<IWalRetentionHold>(new KeepEverything()); // the test reads the whole log afterwards
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
