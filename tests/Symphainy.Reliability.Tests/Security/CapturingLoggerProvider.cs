using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Symphainy.Reliability.Tests.Security;

/// <summary>
/// Keeps every log line a host writes, at every level: the formatted message, every structured value, every scope
/// and the whole exception text, as a provider would see them.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>The lines that contain any of <paramref name="secrets"/>, each with the secret it holds.</summary>
    public IEnumerable<string> Leaks(IEnumerable<string> secrets)
    {
        var list = secrets.Where(s => s.Length >= 8).ToArray();
        return _lines.SelectMany(line => list.Where(s => line.Contains(s, StringComparison.Ordinal)).Select(s => $"[{s[..4]}…] {line}"));
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    line.Append(" | ").Append(key).Append('=').Append(value);
                }
            }

            provider._scopes.ForEachScope((scope, text) => text.Append(" | scope ").Append(scope), line);
            if (exception is not null)
            {
                line.Append(" | exception ").Append(exception);
            }

            provider._lines.Enqueue(line.ToString());
        }
    }
}

/// <summary>Bearer tokens (HS256) for an <see cref="Isolation.ApiHost"/> with a signing key.</summary>
public static class Tokens
{
    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Create(string signingKey, TenantId tenant, string subject, string[]? roles = null, TimeSpan? lifetime = null,
        string issuer = Isolation.ApiHost.JwtIssuer, string audience = Isolation.ApiHost.JwtAudience, string algorithm = "HS256")
    {
        var now = DateTimeOffset.UtcNow;
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = algorithm, typ = "JWT" }));
        var payload = Encode(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["sub"] = subject,
            ["tenant"] = tenant.ToString(),
            ["roles"] = roles ?? [],
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + (lifetime ?? TimeSpan.FromMinutes(10))).ToUnixTimeSeconds(),
        }));
        var signature = algorithm == "none" ? "" : Encode(HMACSHA256.HashData(Convert.FromBase64String(signingKey), Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }

    /// <summary>A token signed with <paramref name="signingKey"/> whose payload is exactly <paramref name="claims"/> (of any JSON types).</summary>
    public static string WithClaims(string signingKey, string claimsJson)
    {
        var header = Encode(JsonSerializer.SerializeToUtf8Bytes(new { alg = "HS256", typ = "JWT" }));
        var payload = Encode(Encoding.UTF8.GetBytes(claimsJson));
        return $"{header}.{payload}.{Encode(HMACSHA256.HashData(Convert.FromBase64String(signingKey), Encoding.ASCII.GetBytes($"{header}.{payload}")))}";
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
