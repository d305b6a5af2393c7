using System.Runtime.CompilerServices;

namespace Symphainy.Reliability.Tests.Simulation;

internal static class SimModule
{
    /// <summary>
    /// The simulation builds a service provider per simulated process life. The default dependency injection engine
    /// compiles the activation of services resolved more than once on the thread pool, in the background; that work is
    /// invisible to the simulation but keeps the pool busy, and the simulator waits for a quiet pool between its
    /// choices. The reflection engine resolves the same services without it.
    /// </summary>
#pragma warning disable CA2255 // The switch must be set before the first service provider of the process is built.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void UseReflectionServiceResolution() =>
        AppContext.SetSwitch("Microsoft.Extensions.DependencyInjection.DisableDynamicEngine", true);
}
