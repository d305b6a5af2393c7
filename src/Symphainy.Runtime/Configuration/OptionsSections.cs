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
    /// such as <c>Symphainy:DataDirectory</c>, with the property that holds it. Collections appear once, with a
    /// placeholder for the part the configuration chooses: <c>&lt;n&gt;</c> for a list's index
    /// (<c>Symphainy:SmartCity:Security:ApiKeys:&lt;n&gt;:Id</c>), <c>&lt;key&gt;</c> for a dictionary's key
    /// (<c>Symphainy:SmartCity:Conductor:Priorities:&lt;key&gt;</c>).
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
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // Settings are what the binder can fill: writable properties, and collections (and nested options) it
            // fills in place through a getter.
            var collection = ElementPath(property.PropertyType, out _);
            if (!property.CanWrite && collection is null && !IsNestedOptions(property.PropertyType))
            {
                continue;
            }

            foreach (var key in Keys(property.PropertyType, $"{path}:{property.Name}"))
            {
                yield return (key, property);
            }
        }
    }

    private static IEnumerable<string> Keys(Type type, string path)
    {
        if (ElementPath(type, out var element) is { } placeholder)
        {
            return Keys(element!, $"{path}:{placeholder}");
        }

        return IsNestedOptions(type) ? Walk(type, path).Select(s => s.Key) : [path];
    }

    // "<n>" for a list or array, "<key>" for a dictionary keyed by strings, null for anything else.
    private static string? ElementPath(Type type, out Type? element)
    {
        element = null;
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            element = type.GetElementType();
            return "<n>";
        }

        var generic = type.IsInterface && type.IsGenericType ? [type] : type.GetInterfaces().Where(i => i.IsGenericType).ToArray();
        if (generic.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IDictionary<,>)) is { } dictionary)
        {
            element = dictionary.GetGenericArguments()[1];
            return "<key>";
        }

        if (generic.FirstOrDefault(i => i.GetGenericTypeDefinition() == typeof(IList<>)) is { } list)
        {
            element = list.GetGenericArguments()[0];
            return "<n>";
        }

        return null;
    }
}
