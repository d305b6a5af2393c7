using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Logging;

namespace Symphainy.Runtime.Tests.Logging;

[Collection(ConsoleOutput.Name)]
public sealed class JsonLoggingTests
{
    [Fact]
    public void Json_console_lines_carry_the_execution_ids_from_the_scope()
    {
        var ids = new IdGenerator(new FakeTimeProvider(), new SeededRandomSource(7));
        var tenant = ids.Next<TenantId>();
        var saga = ids.Next<SagaId>();
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            using (var provider = new ServiceCollection().AddLogging(l => l.AddSymphainyJsonConsole()).BuildServiceProvider())
            {
                var logger = provider.GetRequiredService<ILogger<JsonLoggingTests>>();
                using (logger.BeginExecutionScope(new ExecutionScope(tenant, saga: saga)))
                {
                    logger.LogInformation("step {Step} done", "load");
                }
            } // disposing the provider flushes the console queue
        }
        finally
        {
            Console.SetOut(original);
        }

        var line = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.Contains("step load done", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        var scope = json.RootElement.GetProperty("Scopes").EnumerateArray().Single();
        scope.GetProperty("TenantId").GetString().Should().Be(tenant.ToString());
        scope.GetProperty("SagaId").GetString().Should().Be(saga.ToString());
        scope.TryGetProperty("SessionId", out _).Should().BeFalse();
        json.RootElement.GetProperty("Timestamp").GetString().Should().EndWith("Z");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleOutput
{
    public const string Name = "console";
}
