using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Intake;

namespace Symphainy.SmartCity;

/// <summary>
/// Who is asking: an authenticated identity of one tenant, with roles. Set it around the calls made on its behalf
/// with <see cref="Use"/>; the Security Guard authorizes every intent against it.
/// </summary>
/// <param name="Id">The principal's id (an API key's name, a token's subject).</param>
/// <param name="Tenant">The only tenant whose data it may touch.</param>
/// <param name="Roles">Its roles (or scopes).</param>
public sealed record SymphainyPrincipal(string Id, TenantId Tenant, IReadOnlySet<string> Roles)
{
    /// <summary>How it was authenticated: <c>api-key</c>, <c>bearer</c>, or <c>host</c> (built by the host itself).</summary>
    public string AuthenticatedBy { get; init; } = "host";

    private static readonly AsyncLocal<SymphainyPrincipal?> Ambient = new();

    /// <summary>The principal the current call runs for (null when none was set).</summary>
    public static SymphainyPrincipal? Current => Ambient.Value;

    /// <summary>Runs what follows (until disposed) on behalf of <paramref name="principal"/>.</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>Restores the previous principal when disposed.</returns>
    public static IDisposable Use(SymphainyPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var previous = Ambient.Value;
        Ambient.Value = principal;
        return new Restore(previous);
    }

    private sealed class Restore(SymphainyPrincipal? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>An API key the Security Guard accepts: its public id, the SHA-256 of its secret, its tenant and roles.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The key's id, the part before the dot (<c>id.secret</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>Hex SHA-256 of the secret (<see cref="SecurityGuard.HashSecret"/>); the secret itself is never configured.</summary>
    public string SecretHash { get; set; } = "";

    /// <summary>The tenant the key belongs to (<c>ten_…</c>).</summary>
    public string Tenant { get; set; } = "";

    /// <summary>Its roles.</summary>
    public IList<string> Roles { get; } = [];
}

/// <summary>How bearer tokens (JWT) are validated: signature (HS256 or RS256), issuer, audience, lifetime, claims.</summary>
public sealed class JwtOptions
{
    /// <summary>The issuer tokens must name (<c>iss</c>); required.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>The audience tokens must name (<c>aud</c>); required.</summary>
    public string Audience { get; set; } = "";

    /// <summary>For HS256: the shared key, base64.</summary>
    public string? SigningKey { get; set; }

    /// <summary>For RS256: the issuer's public key, PEM.</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>The claim naming the principal's tenant. Default <c>tenant</c>.</summary>
    public string TenantClaim { get; set; } = "tenant";

    /// <summary>The claim holding its roles (an array or a space-separated string). Default <c>roles</c>.</summary>
    public string RolesClaim { get; set; } = "roles";

    /// <summary>Clock skew allowed on <c>exp</c> and <c>nbf</c>. Default one minute.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Security Guard settings, under <c>Symphainy:SmartCity:Security</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class SecurityGuardOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:Security";

    /// <summary>The accepted API keys.</summary>
    public IList<ApiKeyOptions> ApiKeys { get; } = [];

    /// <summary>Bearer token validation; null when bearer tokens are not accepted.</summary>
    public JwtOptions? Jwt { get; set; }

    /// <summary>The roles each capability (intent type) needs; a principal needs one of them. Unlisted: any principal of the tenant.</summary>
    public IDictionary<string, string[]> CapabilityRoles { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal);
}

/// <summary>
/// The Security Guard: authenticates API keys (secrets kept only as hashes, compared in fixed time) and authorizes
/// every intent at intake: a principal is required, its tenant must be the intent's, and the capability's roles must
/// be among its own. Denials are audited (log event 700, never with a secret) and nothing is recorded for them.
/// </summary>
public sealed partial class SecurityGuard : IIntakePolicy, Symphainy.Sagas.IStepPolicy
{
    private const string PrincipalKey = "symphainy.principal";
    private const string RolesKey = "symphainy.principal.roles";
    private const string MethodKey = "symphainy.principal.method";

    private readonly IOptionsMonitor<SecurityGuardOptions> _options;
    private readonly ILogger _audit;
    private readonly TimeProvider _time;

    /// <summary>Creates the guard.</summary>
    /// <param name="options">Its settings.</param>
    /// <param name="logger">Where denials are audited.</param>
    /// <param name="time">The clock tokens' lifetimes are judged by.</param>
    public SecurityGuard(IOptionsMonitor<SecurityGuardOptions> options, ILogger<SecurityGuard> logger, TimeProvider time)
    {
        _options = options;
        _audit = logger;
        _time = time;
    }

    /// <summary>
    /// Authenticates a bearer token (a JWT signed HS256 or RS256): signature, issuer, audience, expiry and not-before
    /// (with <see cref="JwtOptions.ClockSkew"/>), then its subject, tenant and roles claims.
    /// </summary>
    /// <param name="token">The token (without the <c>Bearer </c> prefix).</param>
    /// <returns>Its principal.</returns>
    /// <exception cref="SymphainyException"><c>security.unauthenticated</c>, naming what failed (never the token).</exception>
    public SymphainyPrincipal AuthenticateBearer(string token)
    {
        var problem = Jwt.Validate(token, _options.CurrentValue.Jwt, _time.GetUtcNow(), out var principal);
        if (problem is not null)
        {
            LogDenied(_audit, "(bearer)", "-", "-", $"{SmartCityErrorCodes.Unauthenticated.Code}: {problem}");
            throw new SymphainyException(SmartCityErrorCodes.Unauthenticated, $"The bearer token does not authenticate: {problem}.");
        }

        return principal! with { AuthenticatedBy = "bearer" };
    }

    /// <summary>The hex SHA-256 of an API key's secret, as configured in <see cref="ApiKeyOptions.SecretHash"/>.</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>Its hash.</returns>
    public static string HashSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    /// <summary>Authenticates an API key (<c>id.secret</c>).</summary>
    /// <param name="apiKey">The key as the caller presented it.</param>
    /// <returns>Its principal.</returns>
    /// <exception cref="SymphainyException"><c>security.unauthenticated</c>: unknown, malformed or wrong key.</exception>
    public SymphainyPrincipal Authenticate(string apiKey)
    {
        var dot = apiKey?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        var id = dot > 0 ? apiKey![..dot] : null;
        var key = id is null ? null : _options.CurrentValue.ApiKeys.FirstOrDefault(k => k.Id == id);
        var presented = dot > 0 ? SHA256.HashData(Encoding.UTF8.GetBytes(apiKey![(dot + 1)..])) : new byte[32];
        var expected = key is not null && key.SecretHash.Length == 64 ? Convert.FromHexString(key.SecretHash) : new byte[32];
        if (key is null || !CryptographicOperations.FixedTimeEquals(presented, expected) || !TenantId.TryParse(key.Tenant, out var tenant))
        {
            LogDenied(_audit, id ?? "(malformed key)", "-", "-", SmartCityErrorCodes.Unauthenticated.Code);
            throw new SymphainyException(SmartCityErrorCodes.Unauthenticated, "The API key does not authenticate.");
        }

        return new SymphainyPrincipal(key.Id, tenant, key.Roles.ToHashSet(StringComparer.Ordinal)) { AuthenticatedBy = "api-key" };
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The authorized principal is recorded with the intent (its id, roles and how it authenticated), so every step of
    /// the saga is authorized again (<see cref="EvaluateAsync(Symphainy.Sagas.StepContext, CancellationToken)"/>).
    /// </remarks>
    public ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var principal = SymphainyPrincipal.Current;
        Authorize(principal, context.Intent.Tenant, context.Intent.Type);
        if (context.Capability is not null)
        {
            context.Annotate(PrincipalKey, principal!.Id);
            context.Annotate(RolesKey, string.Join(' ', principal.Roles.Order(StringComparer.Ordinal)));
            context.Annotate(MethodKey, principal.AuthenticatedBy);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Zero trust at every step boundary: the principal recorded with the saga's intent must still be allowed: an API
    /// key still configured for the saga's tenant (a revoked key stops its sagas at their next step), and roles that
    /// still satisfy the capability. A saga accepted without the Security Guard carries no principal and is left alone.
    /// </summary>
    /// <param name="context">The step about to run.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A completed task, or throws <c>security.forbidden</c>.</returns>
    public ValueTask EvaluateAsync(Symphainy.Sagas.StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Metadata.TryGetValue(PrincipalKey, out var id))
        {
            return ValueTask.CompletedTask;
        }

        var options = _options.CurrentValue;
        if (context.Metadata.GetValueOrDefault(MethodKey) == "api-key" && !options.ApiKeys.Any(k => k.Id == id && k.Tenant == context.Tenant.ToString()))
        {
            LogDenied(_audit, id, context.Tenant.ToString(), $"{context.IntentType}/{context.Step}", SmartCityErrorCodes.Forbidden.Code);
            throw new SymphainyException(SmartCityErrorCodes.Forbidden, $"API key {id} was revoked; step '{context.Step}' of saga {context.Saga} may not run on its behalf.");
        }

        var roles = (context.Metadata.GetValueOrDefault(RolesKey) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        Authorize(new SymphainyPrincipal(id, context.Tenant, roles), context.Tenant, context.IntentType);
        return ValueTask.CompletedTask;
    }

    /// <summary>Checks that <paramref name="principal"/> may act on <paramref name="tenant"/>'s <paramref name="capability"/>.</summary>
    /// <param name="principal">Who asks (null: nobody authenticated).</param>
    /// <param name="tenant">Whose data it touches.</param>
    /// <param name="capability">The capability (intent type), or null for a query or subscription.</param>
    /// <exception cref="SymphainyException"><c>security.unauthenticated</c> or <c>security.forbidden</c>.</exception>
    public void Authorize(SymphainyPrincipal? principal, TenantId tenant, string? capability)
    {
        if (principal is null)
        {
            LogDenied(_audit, "(none)", tenant.ToString(), capability ?? "-", SmartCityErrorCodes.Unauthenticated.Code);
            throw new SymphainyException(SmartCityErrorCodes.Unauthenticated, $"No principal: '{capability}' for tenant {tenant} needs an authenticated caller.");
        }

        if (principal.Tenant != tenant)
        {
            LogDenied(_audit, principal.Id, tenant.ToString(), capability ?? "-", SmartCityErrorCodes.Forbidden.Code);
            throw new SymphainyException(SmartCityErrorCodes.Forbidden, $"Principal {principal.Id} belongs to another tenant than {tenant}.");
        }

        if (capability is not null && _options.CurrentValue.CapabilityRoles.TryGetValue(capability, out var roles) && roles.Length > 0 && !roles.Any(principal.Roles.Contains))
        {
            LogDenied(_audit, principal.Id, tenant.ToString(), capability, SmartCityErrorCodes.Forbidden.Code);
            throw new SymphainyException(SmartCityErrorCodes.Forbidden, $"'{capability}' needs one of the roles {string.Join(", ", roles)}; principal {principal.Id} has none of them.");
        }
    }

    [LoggerMessage(700, LogLevel.Warning, "Security Guard denied principal {Principal} on tenant {Tenant}, capability {Capability}: {Code}")]
    private static partial void LogDenied(ILogger logger, string principal, string tenant, string capability, string code);
}
