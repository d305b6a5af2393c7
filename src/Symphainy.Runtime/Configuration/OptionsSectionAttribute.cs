namespace Symphainy.Configuration;

/// <summary>
/// Marks a root options class and names the configuration section it binds from, such as
/// <c>Symphainy</c>. Every property below it is a setting and is listed in <c>docs/configuration.md</c>.
/// </summary>
/// <param name="section">The configuration section path, with <c>:</c> between levels.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class OptionsSectionAttribute(string section) : Attribute
{
    /// <summary>The configuration section path.</summary>
    public string Section { get; } = section;
}
