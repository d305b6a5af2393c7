using System.Reflection;

namespace Symphainy.Configuration;

/// <summary>Reads the shape of options classes: which settings exist and under which keys.</summary>
public static class OptionsSections
{
    /// <summary>Whether a property type is a nested options class (as opposed to a setting value).</summary>
    /// <param name="type">The property type.</param>
    public static bool IsNestedOptions(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Symphainy", StringComparison.Ordinal) == true;
    }

    /// <summary>
    /// Every setting key below a root options class marked with <see cref="OptionsSectionAttribute"/>,
    /// such as <c>Symphainy:DataDirectory</c>, with the property that holds it.
    /// </summary>
    /// <param name="root">The root options class.</param>
    public static IEnumerable<(string Key, PropertyInfo Property)> Settings(Type root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var section = root.GetCustomAttribute<OptionsSectionAttribute>()?.Section
            ?? throw new ArgumentException($"{root.Name} has no [OptionsSection] attribute.", nameof(root));
        return Walk(root, section);
    }

    private static IEnumerable<(string Key, PropertyInfo Property)> Walk(Type type, string path)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{path}:{property.Name}";
            if (IsNestedOptions(property.PropertyType))
            {
                foreach (var nested in Walk(property.PropertyType, key))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return (key, property);
            }
        }
    }
}
