using Microsoft.Extensions.DependencyInjection;
using Symphainy.Wal;

namespace Symphainy.SmartCity.Tests;

public sealed class SecurityGuardTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    [Fact]
    public async Task An_intent_without_a_principal_is_refused_and_nothing_is_recorded()
    {
        await using var host = await SmartCityHost.StartAsync();
        var log = host.Services.GetRequiredService<IWriteAheadLog>();
        var before = log.NextPosition;
        var submit = () => host.SubmitAsync("orders.place", _tenant, null);
        var error = (await submit.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("security.unauthenticated");
        error.IsRetryable.Should().BeFalse();
        log.NextPosition.Should().Be(before, "a refused intent is not recorded");
    }

    [Fact]
    public async Task A_principal_acting_on_another_tenant_is_refused_and_the_denial_is_audited()
    {
        await using var host = await SmartCityHost.StartAsync();
        var intruder = new SymphainyPrincipal("key-a", _tenant, new HashSet<string>());
        var submit = () => host.SubmitAsync("orders.place", _other, intruder);
        (await submit.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("security.forbidden");
        host.Logs.Should().Contain(l => l.Contains("[700]") && l.Contains("key-a") && l.Contains(_other.ToString()) && l.Contains("security.forbidden"));
    }

    [Fact]
    public async Task A_capability_that_needs_a_role_refuses_a_principal_without_it_and_accepts_one_with_it()
    {
        await using var host = await SmartCityHost.StartAsync(security: s => s.CapabilityRoles["orders.refund"] = ["finance", "admin"]);
        var clerk = new SymphainyPrincipal("clerk", _tenant, new HashSet<string> { "sales" });
        var accountant = new SymphainyPrincipal("accountant", _tenant, new HashSet<string> { "finance" });

        var refund = () => host.SubmitAsync("orders.refund", _tenant, clerk);
        (await refund.Should().ThrowAsync<SymphainyException>()).Which.Message.Should().Contain("finance");
        (await host.SubmitAsync("orders.place", _tenant, clerk)).Duplicate.Should().BeFalse("a capability without listed roles takes any principal of the tenant");
        (await host.SubmitAsync("orders.refund", _tenant, accountant)).Duplicate.Should().BeFalse();
    }

    [Fact]
    public async Task Api_keys_are_configured_as_hashes_and_authenticate_only_with_the_right_secret()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Symphainy:SmartCity:Security:ApiKeys:0:Id"] = "shop",
            ["Symphainy:SmartCity:Security:ApiKeys:0:SecretHash"] = SecurityGuard.HashSecret("s3cret-value"),
            ["Symphainy:SmartCity:Security:ApiKeys:0:Tenant"] = _tenant.ToString(),
            ["Symphainy:SmartCity:Security:ApiKeys:0:Roles:0"] = "sales",
        };
        await using var host = await SmartCityHost.StartAsync(settings);
        var guard = host.Services.GetRequiredService<SecurityGuard>();

        var principal = guard.Authenticate("shop.s3cret-value");
        principal.Should().BeEquivalentTo(new SymphainyPrincipal("shop", _tenant, new HashSet<string> { "sales" }) { AuthenticatedBy = "api-key" });
        (await host.SubmitAsync("orders.place", _tenant, principal)).Duplicate.Should().BeFalse();

        foreach (var wrong in new[] { "shop.s3cret-valuf", "shop.", "shop", "", "other.s3cret-value", ".s3cret-value" })
        {
            var authenticate = () => guard.Authenticate(wrong);
            authenticate.Should().Throw<SymphainyException>().Which.Code.Should().Be("security.unauthenticated", "'{0}' is not a valid key", wrong);
        }

        host.Logs.Should().NotContain(l => l.Contains("s3cret"), "secrets never reach the logs");
    }
}
