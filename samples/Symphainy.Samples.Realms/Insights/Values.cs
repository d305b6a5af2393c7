using System.Globalization;

namespace Symphainy.Samples.Realms.Insights;

/// <summary>How the insights realm reads a cell: the value types it infers and how numbers are written in words.</summary>
public static class Values
{
    /// <summary>The types a column can be inferred to hold, narrowest first (<c>integer</c> values are also <c>number</c>s).</summary>
    public static IReadOnlyList<string> Types { get; } = ["boolean", "integer", "number", "date"];

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"];

    /// <summary>Whether a value is of a type (<c>text</c> accepts everything).</summary>
    /// <param name="type">The type.</param>
    /// <param name="value">The value, trimmed.</param>
    /// <returns>Whether the type accepts it.</returns>
    public static bool Accepts(string type, string value) => type switch
    {
        "boolean" => value.ToUpperInvariant() is "TRUE" or "FALSE" or "YES" or "NO",
        "integer" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        "number" => TryNumber(value, out _),
        "date" => DateTimeOffset.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
        _ => true,
    };

    /// <summary>Reads a number written with an optional sign, digits and a '.' decimal point (invariant culture).</summary>
    /// <param name="value">The value.</param>
    /// <param name="number">The number.</param>
    /// <returns>Whether it is a finite number.</returns>
    public static bool TryNumber(string value, out double number) =>
        double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out number) && double.IsFinite(number);

    /// <summary>A number as the report writes it: invariant culture, at most four decimals.</summary>
    /// <param name="number">The number.</param>
    /// <returns>Its text.</returns>
    public static string Format(double number) => Math.Round(number, 4).ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A name reduced for comparison: lower case letters and digits only (<c>Order_ID</c>: <c>orderid</c>).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The reduced name.</returns>
    public static string Normalize(string name) => new([.. (name ?? "").ToLowerInvariant().Where(char.IsLetterOrDigit)]);

    /// <summary>Whether a column holds identifiers (<c>id</c>, or a name ending in <c>_id</c>, <c>-id</c>, <c> id</c> or <c>Id</c>): they are not measured for outliers.</summary>
    /// <param name="column">The column's name.</param>
    /// <returns>Whether it is an identifier column.</returns>
    public static bool IsIdentifier(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.Equals("id", StringComparison.OrdinalIgnoreCase)
            || column.EndsWith("_id", StringComparison.OrdinalIgnoreCase) || column.EndsWith("-id", StringComparison.OrdinalIgnoreCase)
            || column.EndsWith(" id", StringComparison.OrdinalIgnoreCase) || (column.Length > 2 && column.EndsWith("Id", StringComparison.Ordinal));
    }
}
