using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Symphainy.SmartCity;

/// <summary>Validates compact JWS tokens (HS256, RS256) by the book: every check, nothing trusted from the header but the algorithm it must match.</summary>
internal static class Jwt
{
    public static string? Validate(string? token, JwtOptions? options, DateTimeOffset now, out SymphainyPrincipal? principal)
    {
        principal = null;
        if (options is null || string.IsNullOrEmpty(options.Issuer) || string.IsNullOrEmpty(options.Audience))
        {
            return "bearer tokens are not configured (Symphainy:SmartCity:Security:Jwt)";
        }

        var parts = token?.Split('.') ?? [];
        if (parts.Length != 3 || token!.Length > 16 * 1024)
        {
            return "not a signed JWT";
        }

        JsonElement header, payload;
        byte[] signature;
        try
        {
            header = JsonSerializer.Deserialize<JsonElement>(Base64Url(parts[0]));
            payload = JsonSerializer.Deserialize<JsonElement>(Base64Url(parts[1]));
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return "malformed";
        }

        if (header.ValueKind != JsonValueKind.Object || payload.ValueKind != JsonValueKind.Object)
        {
            return "malformed";
        }

        var algorithm = header.TryGetProperty("alg", out var alg) && alg.ValueKind == JsonValueKind.String ? alg.GetString() : null;
        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        var valid = algorithm switch
        {
            "HS256" when options.SigningKey is { Length: > 0 } key => CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Convert.FromBase64String(key), signed), signature),
            "RS256" when options.PublicKeyPem is { Length: > 0 } pem => VerifyRsa(pem, signed, signature),
            _ => false,
        };
        if (!valid)
        {
            return $"signature not valid for algorithm '{algorithm}'";
        }

        if (Text(payload, "iss") != options.Issuer)
        {
            return "wrong issuer";
        }

        // Claims of the wrong type (a number where a string belongs, a date past year 9999) make the token invalid:
        // reading them as if they were right threw, and a signed but malformed token became a server error.
        var audiences = payload.TryGetProperty("aud", out var aud)
            ? aud.ValueKind == JsonValueKind.Array ? aud.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()).ToArray() : [Text(payload, "aud")]
            : [];
        if (!audiences.Contains(options.Audience))
        {
            return "wrong audience";
        }

        if (Seconds(payload, "exp") is not { } exp)
        {
            return "no expiry";
        }

        if (now - options.ClockSkew > DateTimeOffset.FromUnixTimeSeconds(exp))
        {
            return "expired";
        }

        if (Seconds(payload, "nbf") is { } nbf && now + options.ClockSkew < DateTimeOffset.FromUnixTimeSeconds(nbf))
        {
            return "not valid yet";
        }

        if (Text(payload, "sub") is not { Length: > 0 } subject)
        {
            return "no subject";
        }

        if (!TenantId.TryParse(Text(payload, options.TenantClaim), out var tenant))
        {
            return $"no valid '{options.TenantClaim}' claim";
        }

        var roles = payload.TryGetProperty(options.RolesClaim, out var r)
            ? r.ValueKind == JsonValueKind.Array ? r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!) : (Text(payload, options.RolesClaim) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        principal = new SymphainyPrincipal(subject, tenant, roles.ToHashSet(StringComparer.Ordinal));
        return null;
    }

    private static bool VerifyRsa(string pem, byte[] signed, byte[] signature)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static string? Text(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Unix seconds a DateTimeOffset can hold (years 1 to 9999); outside them the claim is not a time.
    private static long? Seconds(JsonElement payload, string name) =>
        payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds)
            && seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? seconds : null;

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("bad base64url") };
        return Convert.FromBase64String(padded);
    }
}
