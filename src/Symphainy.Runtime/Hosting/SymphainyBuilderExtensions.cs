using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.Hosting;

/// <summary>Helpers for plane and provider packages that extend <see cref="ISymphainyBuilder"/>.</summary>
public static class SymphainyBuilderExtensions
{
    /// <summary>
    /// Records that a plane is registered. Returns <see langword="false"/> when it already was, so that a
    /// plane's <c>AddX()</c> can return early and stay safe to call twice.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The plane's name.</param>
    /// <param name="summary">What it contributes, in one line.</param>
    /// <param name="implementation">A type from the plane's assembly, for its name and version.</param>
    public static bool TryAddPlane(this ISymphainyBuilder builder, string name, string summary, Type implementation)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(implementation);
        foreach (var service in builder.Services)
        {
            if (service.ServiceType == typeof(PlaneDescriptor) && service.ImplementationInstance is PlaneDescriptor existing && existing.Name == name)
            {
                return false;
            }
        }

        var assembly = implementation.Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "0.0.0";
        version = version.Split('+')[0]; // drop the source revision suffix
        builder.Services.AddSingleton(new PlaneDescriptor(name, assembly.GetName().Name ?? name, version, summary));
        return true;
    }
}
