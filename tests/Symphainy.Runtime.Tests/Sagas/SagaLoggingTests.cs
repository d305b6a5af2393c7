using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed class SagaLoggingTests
{
    [Fact]
    public async Task Log_lines_written_inside_a_step_carry_the_tenant_saga_and_intent_ids()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await SagaTestHost.StartAsync(s => s.AddSaga<LoggingSaga>("logs.saga"), new Journal(), services: services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddSingleton<ChattyService>();
        });

        var accepted = await host.SubmitAsync("logs.saga", new OrderInput("l-1", 1));
        await host.CompletionAsync(accepted.Execution);

        logs.Lines.Where(l => l.StartsWith("working on l-1", StringComparison.Ordinal)).Should().ContainSingle().Which.Should()
            .Contain($"SagaId={accepted.Execution}").And.Contain($"TenantId={host.Tenant}").And.Contain($"IntentId={accepted.Intent}");
    }

    public sealed class ChattyService(ILogger<ChattyService> logger)
    {
        public string Work(string order)
        {
            logger.LogInformation("working on {Order}", order);
            return order;
        }
    }

    public sealed class LoggingSaga : Orchestrator<OrderInput, string>
    {
        public override Task<string> RunAsync(SagaContext saga, OrderInput input) =>
            saga.Step("work", (ChattyService s) => s.Work(input.OrderId));
    }
}
