namespace Symphainy;

/// <summary>The default <see cref="IRandomSource"/>: the shared, thread-safe <see cref="Random"/>.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    /// <summary>The process-wide instance.</summary>
    public static SystemRandomSource Instance { get; } = new();

    /// <inheritdoc/>
#pragma warning disable RS0030 // This is the one sanctioned use of Random.Shared.
    public void NextBytes(Span<byte> buffer) => Random.Shared.NextBytes(buffer);

    /// <inheritdoc/>
    public double NextDouble() => Random.Shared.NextDouble();
#pragma warning restore RS0030
}
