namespace Symphainy;

/// <summary>
/// The one source of randomness in the platform (id bits, retry jitter). Inject a
/// <see cref="SeededRandomSource"/> to make a run reproducible from its seed.
/// </summary>
public interface IRandomSource
{
    /// <summary>Fills <paramref name="buffer"/> with random bytes.</summary>
    /// <param name="buffer">The bytes to fill.</param>
    void NextBytes(Span<byte> buffer);

    /// <summary>Returns a random number in [0, 1).</summary>
    double NextDouble();
}
