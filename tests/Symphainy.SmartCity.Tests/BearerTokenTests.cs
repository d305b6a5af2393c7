using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.SmartCity.Tests;

public sealed class BearerTokenTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Token(object header, object payload, Func<byte[], byte[]> sign)
    {
        var head = $"{B64(JsonSerializer.SerializeToUtf8Bytes(header))}.{B64(JsonSerializer.SerializeToUtf8Bytes(payload))}";
        return $"{head}.{B64(sign(Encoding.ASCII.GetBytes(head)))}";
    }

    private object Claims(long? expires = null, string issuer = "https://id.example", string audience = "symphainy") => new Dictionary<string, object>
    {
        ["iss"] = issuer,
        ["aud"] = audience,
        ["sub"] = "user-42",
        ["tenant"] = _tenant.ToString(),
        ["roles"] = new[] { "finance", "sales" },
        ["exp"] = expires ?? DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
    };

    private static string Hs256(object claims) => Token(new { alg = "HS256", typ = "JWT" }, claims, data => HMACSHA256.HashData(Key, data));

    private static async Task<(SmartCityHost Host, SecurityGuard Guard)> StartAsync(string? publicKeyPem = null)
    {
        var host = await SmartCityHost.StartAsync(security: s => s.Jwt = new JwtOptions
        {
            Issuer = "https://id.example",
            Audience = "symphainy",
            SigningKey = Convert.ToBase64String(Key),
            PublicKeyPem = publicKeyPem,
        });
        return (host, host.Services.GetRequiredService<SecurityGuard>());
    }

    [Fact]
    public async Task A_valid_token_gives_its_subject_tenant_and_roles()
    {
        var (host, guard) = await StartAsync();
        await using var _ = host;
        var principal = guard.AuthenticateBearer(Hs256(Claims()));
        principal.Id.Should().Be("user-42");
        principal.Tenant.Should().Be(_tenant);
        principal.Roles.Should().BeEquivalentTo(["finance", "sales"]);
        (await host.SubmitAsync("orders.place", _tenant, principal)).Duplicate.Should().BeFalse();
    }

    [Fact]
    public async Task Tampered_unsigned_expired_or_foreign_tokens_are_refused()
    {
        var (host, guard) = await StartAsync();
        await using var _ = host;
        var valid = Hs256(Claims());
        var parts = valid.Split('.');
        var otherTenant = new Dictionary<string, object>((Dictionary<string, object>)Claims()) { ["tenant"] = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>().ToString() };
        var cases = new Dictionary<string, string>
        {
            ["tampered payload"] = $"{parts[0]}.{B64(JsonSerializer.SerializeToUtf8Bytes(otherTenant))}.{parts[2]}",
            ["alg none"] = Token(new { alg = "none" }, Claims(), _ => []),
            ["expired"] = Hs256(Claims(expires: DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds())),
            ["wrong issuer"] = Hs256(Claims(issuer: "https://evil.example")),
            ["wrong audience"] = Hs256(Claims(audience: "someone-else")),
            ["other key"] = Token(new { alg = "HS256" }, Claims(), data => HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), data)),
            ["garbage"] = "not.a.token",
            ["empty"] = "",
        };
        foreach (var (name, token) in cases)
        {
            var authenticate = () => guard.AuthenticateBearer(token);
            authenticate.Should().Throw<SymphainyException>().Which.Code.Should().Be("security.unauthenticated", "a token with {0} is refused", name);
        }

        host.Logs.Should().NotContain(l => l.Contains(parts[2]), "tokens never reach the logs");
    }

    [Fact]
    public async Task Rs256_tokens_verify_against_the_issuers_public_key_and_an_hs256_token_signed_with_that_public_key_is_refused()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportSubjectPublicKeyInfoPem();
        var (host, guard) = await StartAsync(pem);
        await using var _ = host;
        var rs256 = Token(new { alg = "RS256" }, Claims(), data => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        guard.AuthenticateBearer(rs256).Id.Should().Be("user-42");

        // Algorithm confusion: the public key (known to anyone) used as an HMAC secret.
        var confused = Token(new { alg = "HS256" }, Claims(), data => HMACSHA256.HashData(Encoding.ASCII.GetBytes(pem), data));
        var authenticate = () => guard.AuthenticateBearer(confused);
        authenticate.Should().Throw<SymphainyException>().Which.Code.Should().Be("security.unauthenticated");
    }
}
