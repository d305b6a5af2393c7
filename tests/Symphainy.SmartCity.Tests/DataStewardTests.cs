using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.SmartCity.Tests;

public sealed class DataStewardTests
{
    private const string Card = "4111111111111111";
    private const string Email = "ada@example.org";
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    [Fact]
    public async Task Sensitive_fields_never_appear_in_the_captured_logs_whoever_writes_them()
    {
        await using var host = await SmartCityHost.StartAsync(new()
        {
            ["Symphainy:SmartCity:Data:SensitiveFields:0"] = "cardNumber",
            ["Symphainy:SmartCity:Data:SensitiveFields:1"] = "email",
        });
        SagaId saga;
        using (SymphainyPrincipal.Use(new SymphainyPrincipal("shop", _tenant, new HashSet<string>())))
        {
            saga = (await host.Intake.SubmitAsync(new Intent("orders.charge", _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Charge(Card, Email, 42))))).Execution;
        }

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed, "the second step throws, and the Runtime logs the failure");

        var lines = host.Logs.ToList();
        lines.Should().Contain(l => l.Contains("Charging card [redacted] of [redacted] for 42"), "the rest of the message stays readable");
        lines.Should().Contain(l => l.Contains("\"CardNumber\":\"[redacted]\""));
        lines.Should().Contain(l => l.Contains("declined: cardNumber=[redacted]"), "exceptions are logged redacted too");
        lines.Should().NotContain(l => l.Contains(Card) || l.Contains(Email));
    }

    [Fact]
    public void Classification_finds_sensitive_fields_at_any_depth_and_leaves_others()
    {
        var steward = new DataSteward(Microsoft.Extensions.Options.Options.Create(new DataStewardOptions { SensitiveFields = { "cardNumber", "ssn" } }));
        var payload = JsonSerializer.SerializeToElement(new { order = new { id = 7, payment = new { cardNumber = Card } }, people = new[] { new { name = "Ada", ssn = "123" } } });
        steward.SensitivePaths(payload).Should().Equal("$.order.payment.cardNumber", "$.people[0].ssn");
        steward.Classify("CARDNUMBER").Should().Be(DataClassification.Sensitive);
        steward.Classify("id").Should().Be(DataClassification.Public);
        steward.Redact($"cardNumber={Card}, id=7 and {{\"ssn\": \"123\"}}").Should().Be("cardNumber=[redacted], id=7 and {\"ssn\": \"[redacted]\"}");
    }
}
