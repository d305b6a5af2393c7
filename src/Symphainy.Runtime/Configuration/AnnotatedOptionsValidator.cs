using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Symphainy.Configuration;

/// <summary>
/// Validates an options class and every nested options class below it with data annotations and reports
/// <em>every</em> failure at once, each naming the configuration key and the environment variable to set,
/// for example <c>Symphainy:InstanceName ('My Host'): use lowercase letters... Set Symphainy__InstanceName.</c>
/// </summary>
/// <typeparam name="TOptions">A root options class marked with <see cref="OptionsSectionAttribute"/>.</typeparam>
public sealed class AnnotatedOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    private readonly string _section = typeof(TOptions).GetCustomAttribute<OptionsSectionAttribute>()?.Section
        ?? throw new InvalidOperationException($"{typeof(TOptions).Name} has no [OptionsSection] attribute.");

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Collect(options, _section, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Collect(object instance, string path, List<string> failures)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        foreach (var result in results)
        {
            foreach (var member in result.MemberNames.DefaultIfEmpty(string.Empty))
            {
                var key = member.Length == 0 ? path : $"{path}:{member}";
                var value = member.Length == 0 ? null : instance.GetType().GetProperty(member)?.GetValue(instance);
                var shown = value is null ? "not set" : $"'{value}'";
                failures.Add($"{key} ({shown}): {result.ErrorMessage} Set {key} in configuration or the environment variable {key.Replace(":", "__", StringComparison.Ordinal)}.");
            }
        }

        foreach (var property in instance.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (OptionsSections.IsNestedOptions(property.PropertyType) && property.GetValue(instance) is { } nested)
            {
                Collect(nested, $"{path}:{property.Name}", failures);
            }
        }
    }
}
