namespace Symphainy;

/// <summary>A reproducible, thread-safe <see cref="IRandomSource"/> for simulation and tests.</summary>
public sealed class SeededRandomSource : IRandomSource
{
    private readonly Lock _gate = new();
    private readonly Random _random;

    /// <summary>Creates a source whose sequence is fixed by <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed; the same seed gives the same sequence.</param>
    public SeededRandomSource(int seed)
    {
#pragma warning disable RS0030 // Seeded randomness is the point of this type.
        _random = new Random(seed);
#pragma warning restore RS0030
        Seed = seed;
    }

    /// <summary>The seed this source was created with, to replay a run.</summary>
    public int Seed { get; }

    /// <inheritdoc/>
    public void NextBytes(Span<byte> buffer)
    {
        lock (_gate)
        {
            _random.NextBytes(buffer);
        }
    }

    /// <inheritdoc/>
    public double NextDouble()
    {
        lock (_gate)
        {
            return _random.NextDouble();
        }
    }
}
