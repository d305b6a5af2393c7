using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.Hosting;

/// <summary>The default <see cref="ISymphainyBuilder"/>: a handle on the host's services.</summary>
/// <param name="services">The host's services.</param>
public sealed class SymphainyBuilder(IServiceCollection services) : ISymphainyBuilder
{
    /// <inheritdoc/>
    public IServiceCollection Services { get; } = services ?? throw new ArgumentNullException(nameof(services));
}
