using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.Hosting;

/// <summary>
/// Configures Symphainy on a host's service collection. Each plane and provider package adds its
/// registration as an extension method on this builder, such as <c>AddRuntime()</c>.
/// </summary>
public interface ISymphainyBuilder
{
    /// <summary>The host's services, for registrations of your own.</summary>
    IServiceCollection Services { get; }
}
