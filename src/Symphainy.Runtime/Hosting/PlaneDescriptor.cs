namespace Symphainy.Hosting;

/// <summary>A plane or provider registered in this host, as reported at start and by readiness.</summary>
/// <param name="Name">The plane's name, such as <c>Runtime</c>.</param>
/// <param name="Assembly">The assembly that implements it.</param>
/// <param name="Version">Its informational version.</param>
/// <param name="Summary">What it contributes, in one line.</param>
public sealed record PlaneDescriptor(string Name, string Assembly, string Version, string Summary);
