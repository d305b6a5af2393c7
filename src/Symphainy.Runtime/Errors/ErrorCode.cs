using System.Text.RegularExpressions;

namespace Symphainy;

/// <summary>
/// A stable, documented error code such as <c>intake.payload_too_large</c>. Codes are part of the public
/// contract: clients switch on them, so a code never changes its meaning once shipped.
/// </summary>
public sealed partial record ErrorCode
{
    /// <summary>Creates a code; realms create their own with <see cref="ErrorKind.Domain"/>.</summary>
    /// <param name="code">Dotted lowercase name: <c>area.reason</c>, such as <c>billing.card_declined</c>.</param>
    /// <param name="kind">Who is at fault.</param>
    /// <param name="isRetryable">Whether the same request may succeed when tried again unchanged.</param>
    /// <param name="description">What the code means and what to do about it.</param>
    public ErrorCode(string code, ErrorKind kind, bool isRetryable, string description)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        if (!CodePattern().IsMatch(code))
        {
            throw new ArgumentException(
                $"Error code '{code}' is not of the form 'area.reason' (lowercase letters, digits and underscores, separated by dots).",
                nameof(code));
        }

        Code = code;
        Kind = kind;
        IsRetryable = isRetryable;
        Description = description;
    }

    /// <summary>The stable dotted code.</summary>
    public string Code { get; }

    /// <summary>Who is at fault.</summary>
    public ErrorKind Kind { get; }

    /// <summary>Whether trying the same request again unchanged may succeed.</summary>
    public bool IsRetryable { get; }

    /// <summary>What the code means and what to do about it.</summary>
    public string Description { get; }

    /// <inheritdoc/>
    public override string ToString() => Code;

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex CodePattern();
}
