namespace Symphainy.Intake;

/// <summary>What a policy sees: the normalized intent and what it resolved to (null for signal and cancel intents).</summary>
/// <param name="Intent">The intent after normalization.</param>
/// <param name="Capability">The resolved capability, or null for the built-in <c>symphainy.signal</c> and <c>symphainy.cancel</c>.</param>
public sealed record IntakeContext(Intent Intent, CapabilityResolution? Capability)
{
    private Dictionary<string, string>? _annotations;

    /// <summary>What policies recorded with the intent so far (null when nothing).</summary>
    public IReadOnlyDictionary<string, string>? Annotations => _annotations;

    /// <summary>
    /// Records a fact with the intent, in its metadata (who was authorized, say), so later checks, the saga's steps
    /// and its recovery see it. Keys start with <c>symphainy.</c> (the caller's own metadata never does).
    /// </summary>
    /// <param name="key">The key: <c>symphainy.</c> and up to 56 more characters.</param>
    /// <param name="value">The value: up to 1,024 characters.</param>
    public void Annotate(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!key.StartsWith("symphainy.", StringComparison.Ordinal) || key.Length > 64 || value.Length > 1024)
        {
            throw new ArgumentException("An annotation's key starts with 'symphainy.' (at most 64 characters); its value has at most 1,024.", nameof(key));
        }

        (_annotations ??= new Dictionary<string, string>(StringComparer.Ordinal))[key] = value;
    }
}
