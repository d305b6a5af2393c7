using System.Text;
using Microsoft.Extensions.Time.Testing;
using Symphainy.State;

namespace Symphainy.Conformance.State;

/// <summary>The contract every <see cref="IHotStateStore"/> adapter keeps; derive and say how to create one.</summary>
public abstract class HotStateStoreConformance
{
    /// <summary>The clock the store under test must use for expiry.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero));

    private readonly IdGenerator _ids = new(new FakeTimeProvider(), new SeededRandomSource(17));

    /// <summary>Creates an empty store (or one with a fresh key space) that uses <paramref name="time"/>.</summary>
    /// <param name="time">The clock.</param>
    protected abstract ValueTask<IHotStateStore> CreateStoreAsync(FakeTimeProvider time);

    private TenantId NewTenant() => _ids.Next<TenantId>();

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(HotStateEntry? entry) => entry is null ? "<absent>" : Encoding.UTF8.GetString(entry.Value.Span);

    [Fact]
    public async Task A_missing_key_reads_as_null()
    {
        var store = await CreateStoreAsync(Time);
        (await store.GetAsync(NewTenant(), "nothing/here")).Should().BeNull();
    }

    [Fact]
    public async Task Set_returns_increasing_versions_and_get_returns_the_latest_value()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        (await store.SetAsync(tenant, "saga/1", Bytes("one"))).Should().Be(1);
        (await store.SetAsync(tenant, "saga/1", Bytes("two"))).Should().Be(2);
        var entry = await store.GetAsync(tenant, "saga/1");
        Text(entry).Should().Be("two");
        entry!.Version.Should().Be(2);
        entry.Key.Should().Be("saga/1");
        entry.ExpiresAt.Should().BeNull();
    }

    [Fact]
    public async Task Compare_and_set_with_zero_claims_an_absent_key_once()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        (await store.CompareAndSetAsync(tenant, "idem/upload-42", Bytes("first"), 0)).Should().Be(new CompareAndSetResult(true, 1));
        (await store.CompareAndSetAsync(tenant, "idem/upload-42", Bytes("second"), 0)).Should().Be(new CompareAndSetResult(false, 1));
        Text(await store.GetAsync(tenant, "idem/upload-42")).Should().Be("first");
    }

    [Fact]
    public async Task Compare_and_set_with_a_stale_version_fails_and_reports_the_current_one()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        await store.SetAsync(tenant, "k", Bytes("a"));
        await store.SetAsync(tenant, "k", Bytes("b"));
        (await store.CompareAndSetAsync(tenant, "k", Bytes("c"), expectedVersion: 1)).Should().Be(new CompareAndSetResult(false, 2));
        (await store.CompareAndSetAsync(tenant, "k", Bytes("c"), expectedVersion: 2)).Should().Be(new CompareAndSetResult(true, 3));
        Text(await store.GetAsync(tenant, "k")).Should().Be("c");
    }

    [Fact]
    public async Task Only_one_of_many_concurrent_compare_and_sets_on_the_same_version_wins()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => store.CompareAndSetAsync(tenant, "race", Bytes($"w{i}"), 0).AsTask()));
        results.Count(r => r.Succeeded).Should().Be(1);
    }

    [Fact]
    public async Task An_entry_disappears_when_its_time_to_live_passes()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        await store.SetAsync(tenant, "short", Bytes("x"), TimeSpan.FromSeconds(10));
        (await store.GetAsync(tenant, "short"))!.ExpiresAt.Should().Be(Time.GetUtcNow() + TimeSpan.FromSeconds(10));
        Time.Advance(TimeSpan.FromSeconds(9));
        (await store.GetAsync(tenant, "short")).Should().NotBeNull();
        Time.Advance(TimeSpan.FromSeconds(2));
        (await store.GetAsync(tenant, "short")).Should().BeNull();
        (await store.CompareAndSetAsync(tenant, "short", Bytes("again"), 0)).Succeeded.Should().BeTrue("an expired key is absent");
    }

    [Fact]
    public async Task Delete_removes_and_respects_the_expected_version()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        await store.SetAsync(tenant, "d", Bytes("x"));
        (await store.DeleteAsync(tenant, "d", expectedVersion: 7)).Should().BeFalse();
        (await store.GetAsync(tenant, "d")).Should().NotBeNull();
        (await store.DeleteAsync(tenant, "d", expectedVersion: 1)).Should().BeTrue();
        (await store.GetAsync(tenant, "d")).Should().BeNull();
        (await store.DeleteAsync(tenant, "d")).Should().BeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public async Task A_bad_key_is_refused_with_a_typed_error(string key)
    {
        var store = await CreateStoreAsync(Time);
        var act = async () => await store.SetAsync(NewTenant(), key, Bytes("x"));
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");
        var tooLong = async () => await store.GetAsync(NewTenant(), new string('k', 513));
        (await tooLong.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");
    }

    [Fact]
    public async Task A_time_to_live_that_is_not_positive_is_refused()
    {
        var store = await CreateStoreAsync(Time);
        var act = async () => await store.SetAsync(NewTenant(), "k", Bytes("x"), TimeSpan.Zero);
        (await act.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
    }

    [Fact]
    public async Task A_lease_is_exclusive_until_it_expires_and_then_another_owner_takes_it_with_a_higher_token()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        var first = await store.TryAcquireLeaseAsync(tenant, "saga/9", "worker-a", TimeSpan.FromSeconds(30));
        first.Should().NotBeNull();
        first!.Token.Should().Be(1, "the first lease ever taken on a resource has token 1 (the engine relies on it)");
        (await store.TryAcquireLeaseAsync(tenant, "saga/9", "worker-b", TimeSpan.FromSeconds(30))).Should().BeNull();

        Time.Advance(TimeSpan.FromSeconds(31));
        var second = await store.TryAcquireLeaseAsync(tenant, "saga/9", "worker-b", TimeSpan.FromSeconds(30));
        second.Should().NotBeNull();
        second!.Token.Should().BeGreaterThan(first!.Token);
        (await store.RenewLeaseAsync(first, TimeSpan.FromSeconds(30))).Should().BeNull("the old holder lost it");
        (await store.ReleaseLeaseAsync(first)).Should().BeFalse();
    }

    [Fact]
    public async Task Renewing_a_held_lease_extends_it_and_releasing_frees_it()
    {
        var store = await CreateStoreAsync(Time);
        var tenant = NewTenant();
        var lease = await store.TryAcquireLeaseAsync(tenant, "r", "a", TimeSpan.FromSeconds(10));
        Time.Advance(TimeSpan.FromSeconds(8));
        var renewed = await store.RenewLeaseAsync(lease!, TimeSpan.FromSeconds(10));
        renewed!.ExpiresAt.Should().Be(Time.GetUtcNow() + TimeSpan.FromSeconds(10));
        renewed.Token.Should().Be(lease!.Token);
        Time.Advance(TimeSpan.FromSeconds(8));
        (await store.TryAcquireLeaseAsync(tenant, "r", "b", TimeSpan.FromSeconds(10))).Should().BeNull("the renewal keeps it");
        (await store.ReleaseLeaseAsync(renewed)).Should().BeTrue();
        var taken = await store.TryAcquireLeaseAsync(tenant, "r", "b", TimeSpan.FromSeconds(10));
        taken!.Token.Should().BeGreaterThan(lease.Token);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Tenants_never_see_each_others_data_under_a_random_workload(int seed)
    {
        var store = await CreateStoreAsync(Time);
        var tenants = new[] { NewTenant(), NewTenant(), NewTenant() };
        var keys = Enumerable.Range(0, 12).Select(i => $"shared/key-{i}").ToArray();
        var expected = new Dictionary<(TenantId, string), string>();
        var random = new Random(seed);
        for (var op = 0; op < 400; op++)
        {
            var tenant = tenants[random.Next(tenants.Length)];
            var key = keys[random.Next(keys.Length)];
            switch (random.Next(4))
            {
                case 0 or 1:
                    var value = $"{tenant}:{key}:{op}";
                    await store.SetAsync(tenant, key, Bytes(value));
                    expected[(tenant, key)] = value;
                    break;
                case 2:
                    var current = await store.GetAsync(tenant, key);
                    var claimed = $"{tenant}:{key}:cas{op}";
                    var result = await store.CompareAndSetAsync(tenant, key, Bytes(claimed), current?.Version ?? 0);
                    result.Succeeded.Should().BeTrue("nobody else writes this tenant's key in between");
                    expected[(tenant, key)] = claimed;
                    break;
                default:
                    (await store.DeleteAsync(tenant, key)).Should().Be(expected.Remove((tenant, key)));
                    break;
            }
        }

        foreach (var tenant in tenants)
        {
            foreach (var key in keys)
            {
                var entry = await store.GetAsync(tenant, key);
                Text(entry).Should().Be(expected.GetValueOrDefault((tenant, key), "<absent>"));
                if (entry is not null)
                {
                    Text(entry).Should().StartWith(tenant.ToString(), "a tenant only ever reads its own writes");
                }
            }
        }

        var lease = await store.TryAcquireLeaseAsync(tenants[0], "shared/key-0", "x", TimeSpan.FromMinutes(1));
        (await store.TryAcquireLeaseAsync(tenants[1], "shared/key-0", "y", TimeSpan.FromMinutes(1))).Should().NotBeNull("leases are per tenant");
        lease.Should().NotBeNull();
    }
}
