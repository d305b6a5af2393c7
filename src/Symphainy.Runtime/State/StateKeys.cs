namespace Symphainy.State;

/// <summary>Validation shared by every state adapter, so that all refuse the same keys the same way.</summary>
public static class StateKeys
{
    /// <summary>The longest key or node id accepted.</summary>
    public const int MaxLength = 512;

    /// <summary>Throws <c>state.invalid_key</c> unless <paramref name="key"/> is 1 to 512 characters without control characters.</summary>
    /// <param name="key">The key or id.</param>
    /// <param name="what">What it is, for the message ("key", "node id", "lease resource").</param>
    public static void Validate(string? key, string what = "key")
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength || HasControlCharacter(key))
        {
            var shown = key is null ? "null" : key.Length > 40 ? $"'{key[..40]}...' ({key.Length} characters)" : $"'{key}'";
            throw new SymphainyException(
                ErrorCodes.StateInvalidKey,
                $"{shown} is not a valid {what}: use 1 to {MaxLength} characters without control characters.");
        }
    }

    // The characters char.IsControl accepts (U+0000 to U+001F and U+007F to U+009F), searched vectorized: the
    // projector validates every node id and edge it writes, thousands a second.
    private static bool HasControlCharacter(string key) =>
        key.AsSpan().ContainsAnyInRange('\u0000', '\u001F') || key.AsSpan().ContainsAnyInRange('\u007F', '\u009F');

    /// <summary>Throws <c>state.invalid_argument</c> unless <paramref name="duration"/> is positive.</summary>
    /// <param name="duration">A TTL or lease duration.</param>
    /// <param name="what">Its name, for the message.</param>
    public static void ValidatePositive(TimeSpan? duration, string what)
    {
        if (duration is { } d && d <= TimeSpan.Zero)
        {
            throw new SymphainyException(ErrorCodes.StateInvalidArgument, $"{what} must be positive; it was {d}.");
        }
    }
}
