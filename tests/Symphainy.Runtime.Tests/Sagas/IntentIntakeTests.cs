using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Intake;
using Symphainy.Wal;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed class IntentIntakeTests
{
    private readonly Journal _journal = new();

    private Task<SagaTestHost> StartAsync(Action<IServiceCollection>? services = null) =>
        SagaTestHost.StartAsync(s => s.AddSaga<PlaceOrder>("orders.place"), _journal, services: services);

    private static async Task<SymphainyException> RejectedAsync(Func<Task> submit) =>
        (await submit.Should().ThrowAsync<SymphainyException>()).Which;

    [Fact]
    public async Task Types_are_trimmed_and_lower_cased_before_they_resolve()
    {
        await using var host = await StartAsync();
        var accepted = await host.Intake.SubmitAsync(new Intent("  Orders.PLACE ", host.Tenant, JsonSerializer.SerializeToElement(new OrderInput("n-1", 1))));
        (await host.CompletionAsync(accepted.Execution)).Definition.Should().Be("orders.place");
    }

    [Fact]
    public async Task An_unknown_type_is_refused_and_nothing_is_recorded()
    {
        await using var host = await StartAsync();
        var error = await RejectedAsync(() => host.SubmitAsync("orders.teleport", new { }).AsTask());
        error.Code.Should().Be("intake.unknown_intent_type");
        error.Message.Should().Contain("orders.teleport");
        host.Wal.NextPosition.Should().Be(1);
    }

    [Fact]
    public async Task A_payload_that_does_not_match_the_input_names_the_field()
    {
        await using var host = await StartAsync();
        var error = await RejectedAsync(() => host.SubmitAsync("orders.place", new { orderId = "x", quantity = "many" }).AsTask());
        error.Code.Should().Be("intake.invalid_payload");
        error.Message.Should().Contain("$.quantity");
        host.Wal.NextPosition.Should().Be(1);
    }

    [Fact]
    public async Task A_payload_a_lenient_resolver_accepts_but_the_orchestrator_cannot_take_is_refused_at_intake()
    {
        // A resolver whose own check lets everything through (a loose schema, say): intake still binds the payload to
        // the orchestrator's input, so the saga cannot fail later on an input it was never able to read.
        await using var host = await StartAsync(services => services.AddSingleton<ICapabilityResolver>(new LenientResolver()));
        var error = await RejectedAsync(() => host.SubmitAsync("orders.place", new { orderId = "x", quantity = "many" }).AsTask());
        error.Code.Should().Be("intake.invalid_payload");
        error.Message.Should().Contain("$.quantity");
        host.Wal.NextPosition.Should().Be(1);

        var accepted = await host.SubmitAsync("orders.place", new OrderInput("n-2", 2));
        (await host.CompletionAsync(accepted.Execution)).State.Should().Be(Symphainy.Sagas.SagaState.Completed);
    }

    private sealed class LenientResolver : ICapabilityResolver
    {
        public CapabilityResolution? Resolve(string intentType, int? version) =>
            intentType == "orders.place" ? new CapabilityResolution("orders.place", 1, "orders.place", 1, _ => []) : null;
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused()
    {
        await using var host = await StartAsync();
        var error = await RejectedAsync(() => host.SubmitAsync("orders.place", new OrderInput(new string('x', 1024 * 1024), 1)).AsTask());
        error.Code.Should().Be("intake.payload_too_large");
        error.Message.Should().Contain("Symphainy:Intake:MaxPayloadBytes");
    }

    [Theory]
    [InlineData("")]
    [InlineData("nodots")]
    [InlineData("orders..place")]
    [InlineData("orders.pl@ce")]
    public async Task A_malformed_type_is_refused(string type)
    {
        await using var host = await StartAsync();
        (await RejectedAsync(() => host.SubmitAsync(type, new { }).AsTask())).Code.Should().Be("intake.invalid_intent");
    }

    [Fact]
    public async Task An_intent_without_a_tenant_or_with_a_blank_idempotency_key_is_refused()
    {
        await using var host = await StartAsync();
        (await RejectedAsync(() => host.Intake.SubmitAsync(new Intent("orders.place", default, JsonSerializer.SerializeToElement(new OrderInput("a", 1)))).AsTask()))
            .Message.Should().Contain("tenant");
        (await RejectedAsync(() => host.SubmitAsync("orders.place", new OrderInput("a", 1), idempotencyKey: "   ").AsTask()))
            .Code.Should().Be("intake.invalid_intent");
    }

    [Fact]
    public async Task A_policy_rejects_with_its_own_code_before_anything_is_recorded()
    {
        await using var host = await StartAsync(s => s.AddSingleton<IIntakePolicy, QuantityLimit>());
        var error = await RejectedAsync(() => host.SubmitAsync("orders.place", new OrderInput("big", 500)).AsTask());
        error.Code.Should().Be("policy.quantity_limit");
        host.Wal.NextPosition.Should().Be(1);

        var accepted = await host.SubmitAsync("orders.place", new OrderInput("small", 5));
        (await host.RecordsAsync(accepted.Execution)).First().Kind.Should().Be(WalRecordKind.IntentReceived);
    }

    [Fact]
    public async Task A_signal_for_an_unknown_saga_is_refused_with_a_typed_error()
    {
        await using var host = await StartAsync();
        var unknown = new IdGenerator(host.Time, new SeededRandomSource(3)).Next<SagaId>();
        (await RejectedAsync(() => host.SubmitAsync(BuiltInIntents.Signal, new { sagaId = unknown.ToString(), name = "approve" }).AsTask()))
            .Code.Should().Be("saga.not_found");
        (await RejectedAsync(() => host.SubmitAsync(BuiltInIntents.Signal, new { sagaId = "nope", name = "approve" }).AsTask()))
            .Code.Should().Be("intake.invalid_payload");
    }

    private sealed class QuantityLimit : IIntakePolicy
    {
        private static readonly ErrorCode TooMany = new("policy.quantity_limit", ErrorKind.Domain, false, "Too many items in one order.");

        public ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken) =>
            context.Intent.Payload.TryGetProperty("quantity", out var q) && q.GetInt32() > 100
                ? throw new SymphainyException(TooMany, "At most 100 items per order.")
                : ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Submitting_before_the_host_started_is_refused_instead_of_hanging()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, new Dictionary<string, string?> { ["Symphainy:Wal:Provider"] = "InMemory" });
        new Symphainy.Hosting.SymphainyBuilder(builder.Services).AddRuntime().AddSaga<PlaceOrder>("orders.place");
        using var host = builder.Build();
        var intake = host.Services.GetRequiredService<IIntentIntake>();
        var tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(1)).Next<TenantId>();

        var act = async () => await intake.SubmitAsync(new Intent("orders.place", tenant, JsonSerializer.SerializeToElement(new OrderInput("x", 1))));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("host.not_started");
    }
}
