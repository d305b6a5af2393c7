using System.Reflection;
using Symphainy.Samples.Realms.Content;

namespace Symphainy.Samples.Realms;

/// <summary>
/// The sample files bundled with the realms (also copied next to the assembly, under <c>SampleData/</c>):
/// <c>orders.csv</c>, an export with known defects; <c>policy.txt</c>, the rules it must follow; and
/// <c>orders_reference.csv</c>, last year's export, whose columns differ.
/// </summary>
public static class SampleFiles
{
    /// <summary>The order export with known defects.</summary>
    public const string Orders = "orders.csv";

    /// <summary>The policy the orders must follow.</summary>
    public const string Policy = "policy.txt";

    /// <summary>An older export with other column names, for schema matching.</summary>
    public const string Reference = "orders_reference.csv";

    /// <summary>
    /// The defects <see cref="Orders"/> holds, as <c>{kind}@{file}#row={n};column={name}</c> (a defect's
    /// <c>Key</c>), checked against <see cref="Policy"/>: exactly these, no more.
    /// </summary>
    public static IReadOnlyList<string> KnownDefects { get; } =
    [
        "missing_value@orders.csv#row=2;column=email",       // no email; policy rule 3 says it must be present
        "type_mismatch@orders.csv#row=3;column=amount",      // "abc" in a column of numbers
        "outlier@orders.csv#row=5;column=amount",            // 9800.00 among amounts of 15 to 180
        "duplicate_value@orders.csv#row=6;column=order_id",  // 1003 again; policy rule 2 says ids are unique
        "not_positive@orders.csv#row=7;column=amount",       // -10.00; policy rule 1 says amounts are positive
    ];

    /// <summary>Reads a bundled file's text.</summary>
    /// <param name="name">Its name (<see cref="Orders"/>, <see cref="Policy"/>, <see cref="Reference"/>).</param>
    /// <returns>Its text.</returns>
    public static string Read(string name)
    {
        using var stream = typeof(SampleFiles).Assembly.GetManifestResourceStream($"SampleData/{name}")
            ?? throw new ArgumentException($"There is no bundled sample file '{name}'.", nameof(name));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A bundled file as an inline source file.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The source file, its content inline.</returns>
    public static SourceFile Inline(string name) => new(name, Read(name));
}
