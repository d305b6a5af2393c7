using System.Reflection;

namespace Symphainy;

/// <summary>
/// The catalogue of every error code the platform itself raises. <c>docs/errors.md</c> lists exactly
/// these codes (a test keeps the two in step). Codes of one area live in <c>ErrorCodes.{Area}.cs</c>.
/// </summary>
public static partial class ErrorCodes
{
    /// <summary>A string or Guid is not a valid typed id.</summary>
    public static readonly ErrorCode InvalidId = new(
        "id.invalid", ErrorKind.Domain, isRetryable: false,
        "A string or Guid is not a valid typed id. Pass the id exactly as the platform returned it.");


    private static IReadOnlyList<ErrorCode>? s_all;

    /// <summary>Every catalogued code.</summary>
    // Computed on first use: static initializers of partial parts run in no defined order.
    public static IReadOnlyList<ErrorCode> All => s_all ??= typeof(ErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(ErrorCode))
        .Select(f => (ErrorCode)f.GetValue(null)!)
        .ToArray();
}
