using System.Reflection;

namespace Symphainy;

/// <summary>
/// The catalogue of every error code the platform itself raises. <c>docs/errors.md</c> lists exactly
/// these codes (a test keeps the two in step).
/// </summary>
public static class ErrorCodes
{
    /// <summary>A string or Guid is not a valid typed id.</summary>
    public static readonly ErrorCode InvalidId = new(
        "id.invalid", ErrorKind.Domain, isRetryable: false,
        "A string or Guid is not a valid typed id. Pass the id exactly as the platform returned it.");

    /// <summary>One or more configuration settings are missing or invalid.</summary>
    public static readonly ErrorCode InvalidConfiguration = new(
        "config.invalid", ErrorKind.Platform, isRetryable: false,
        "One or more settings are missing or invalid; the message names each one and what to set.");

    /// <summary>Every catalogued code, in declaration order.</summary>
    public static IReadOnlyList<ErrorCode> All { get; } = typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ErrorCode))
        .Select(f => (ErrorCode)f.GetValue(null)!)
        .ToArray();
}
