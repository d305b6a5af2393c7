using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Symphainy.SmartCity;

/// <summary>How sensitive a field is.</summary>
public enum DataClassification
{
    /// <summary>Nothing to protect.</summary>
    Public,

    /// <summary>Personal or secret data: redacted wherever it would be written outside the log.</summary>
    Sensitive,
}

/// <summary>Data Steward settings, under <c>Symphainy:SmartCity:Data</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class DataStewardOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:Data";

    /// <summary>
    /// Names of payload fields that are sensitive wherever they appear (compared without case): <c>cardNumber</c>,
    /// <c>email</c>, <c>password</c>, … Default: none (the <see cref="DataSteward.CredentialFields"/> are redacted always).
    /// </summary>
    public IList<string> SensitiveFields { get; } = [];

    /// <summary>
    /// The role a principal needs to submit an erasure request (<see cref="DataErasure"/>), added to the Security Guard's
    /// <see cref="SecurityGuardOptions.CapabilityRoles"/> for <see cref="DataErasure.IntentType"/> unless those name roles
    /// for it already. Empty: any principal of the tenant may. Default <c>data-erasure</c>.
    /// </summary>
    public string ErasureRole { get; set; } = "data-erasure";

    /// <summary>How long ended executions' data is kept in the state graph (<see cref="RetentionSweep"/>).</summary>
    public DataRetentionOptions Retention { get; } = new();
}

/// <summary>
/// The Data Steward: classifies payload fields (by name, <see cref="DataStewardOptions.SensitiveFields"/>) and redacts
/// sensitive ones from everything logged: structured values logged under a sensitive name, and <c>"name": value</c>
/// or <c>name=value</c> pairs in messages and exception messages. It is wired into the host's logger factory by
/// <c>AddSmartCity</c>, so it covers every provider. Execution events carry no payloads, so they have nothing to redact.
/// </summary>
public sealed partial class DataSteward
{
    /// <summary>What a redacted value is replaced with.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>
    /// Names that carry credentials, redacted whatever <see cref="DataStewardOptions.SensitiveFields"/> says:
    /// <c>access_token</c> is how a browser's WebSocket sends its bearer token or API key, in the query string the
    /// web server logs with every request.
    /// </summary>
    public static IReadOnlyList<string> CredentialFields { get; } = ["access_token"];

    private readonly HashSet<string> _sensitive;
    private readonly Regex? _pairs;

    /// <summary>Creates the steward.</summary>
    /// <param name="options">Which fields are sensitive.</param>
    public DataSteward(IOptions<DataStewardOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _sensitive = new HashSet<string>(options.Value.SensitiveFields.Where(f => !string.IsNullOrWhiteSpace(f)).Concat(CredentialFields), StringComparer.OrdinalIgnoreCase);
        if (_sensitive.Count > 0)
        {
            var names = string.Join('|', _sensitive.Select(Regex.Escape));
            // "name": "value" | "name": 123 | name=value | name: value  (up to the next quote, comma, brace or space)
            _pairs = new Regex($@"(?<key>""(?:{names})""\s*:\s*|\b(?:{names})\s*[=:]\s*)(?<value>""(?:[^""\\]|\\.)*""|[^\s,;}}\]""]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>How sensitive a field is, by its name.</summary>
    /// <param name="field">The field's name.</param>
    /// <returns>Its classification.</returns>
    public DataClassification Classify(string field) => field is not null && _sensitive.Contains(field) ? DataClassification.Sensitive : DataClassification.Public;

    /// <summary>The sensitive fields of a payload, as JSON paths (<c>$.card.number</c>).</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>Their paths.</returns>
    public IReadOnlyList<string> SensitivePaths(JsonElement payload)
    {
        var paths = new List<string>();
        Walk(payload, "$", paths, 0);
        return paths;
    }

    /// <summary><paramref name="text"/> with the values of sensitive fields replaced by <see cref="Redacted"/>.</summary>
    /// <param name="text">A message.</param>
    /// <returns>The message, redacted.</returns>
    public string Redact(string text)
    {
        if (_pairs is null || string.IsNullOrEmpty(text))
        {
            return text;
        }

        try
        {
            return _pairs.Replace(text, m => m.Groups["key"].Value + (m.Groups["value"].Value.StartsWith('"') ? $"\"{Redacted}\"" : Redacted));
        }
        catch (RegexMatchTimeoutException)
        {
            return Redacted; // rather nothing than a secret
        }
    }

    /// <summary>Whether anything is classified sensitive (otherwise logging is left as it is).</summary>
    public bool IsActive => _pairs is not null;

    private void Walk(JsonElement element, string path, List<string> paths, int depth)
    {
        if (depth > 64)
        {
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = $"{path}.{property.Name}";
                    if (Classify(property.Name) == DataClassification.Sensitive)
                    {
                        paths.Add(child);
                    }
                    else
                    {
                        Walk(property.Value, child, paths, depth + 1);
                    }
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}[{i++}]", paths, depth + 1);
                }

                break;
        }
    }

    internal string Redact(IReadOnlyList<KeyValuePair<string, object?>>? state, string message)
    {
        var redacted = Redact(message);
        if (state is not null)
        {
            foreach (var (key, value) in state)
            {
                if (Classify(key) == DataClassification.Sensitive && value?.ToString() is { Length: > 0 } secret)
                {
                    redacted = redacted.Replace(secret, Redacted, StringComparison.Ordinal);
                }
            }
        }

        return redacted;
    }
}

/// <summary>A logger factory whose loggers pass every message through the <see cref="DataSteward"/>.</summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, DataSteward steward) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public ILogger CreateLogger(string categoryName) => steward.IsActive ? new RedactingLogger(inner.CreateLogger(categoryName), steward) : inner.CreateLogger(categoryName);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner, DataSteward steward) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var pairs = state as IReadOnlyList<KeyValuePair<string, object?>>;
            var message = steward.Redact(pairs, formatter(state, exception));
            var values = pairs?.Select(p => new KeyValuePair<string, object?>(p.Key,
                p.Key == "{OriginalFormat}" ? p.Value
                : steward.Classify(p.Key) == DataClassification.Sensitive ? DataSteward.Redacted
                : p.Value is string text ? steward.Redact(text) : p.Value)).ToList() ?? [];
            var error = exception is null ? null : new RedactedException(exception.GetType().FullName ?? "Exception", steward.Redact(exception.ToString()));
            inner.Log(logLevel, eventId, new RedactedState(values, message), error, static (s, _) => s.Message);
        }
    }

    private sealed class RedactedState(List<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>An exception as logged: its type and its redacted text, never its original message.</summary>
    private sealed class RedactedException(string type, string text) : Exception($"{type}: {text}")
    {
        public override string ToString() => Message;

        public override string? StackTrace => null;
    }
}
