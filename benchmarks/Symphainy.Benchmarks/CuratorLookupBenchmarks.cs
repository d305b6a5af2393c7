using BenchmarkDotNet.Attributes;
using Symphainy.Capabilities;
using Symphainy.Sagas;

namespace Symphainy.Benchmarks;

/// <summary>
/// Resolving intent types among <see cref="Capabilities"/> registered capabilities: <see cref="Curator.Resolve"/>
/// (what intake calls; allocates the resolution and its validator) and <see cref="Curator.Find"/>, vs the baseline
/// of a plain <see cref="Dictionary{TKey, TValue}"/> lookup. One invocation looks up every name once in a
/// shuffled order (<c>OperationsPerInvoke</c>, so times are per lookup).
/// </summary>
[MemoryDiagnoser]
public class CuratorLookupBenchmarks
{
    private const int Lookups = 1_000;
    private Curator? _curator;
    private Dictionary<string, CapabilityDescriptor> _dictionary = [];
    private string[] _names = [];

    /// <summary>Registered capabilities.</summary>
    [Params(1_000)]
    public int Capabilities { get; set; }

    /// <summary>Registers the capabilities (one version each, ten realms).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var names = Enumerable.Range(0, Capabilities).Select(i => $"realm{i % 10}.capability_{i:D4}").ToArray();
        var definitions = names.Select(n => SagaDefinition.Create<NoOpSaga, TrivialInput, int>(n)).ToArray();
        var registrations = names.Select((n, i) => new CapabilityRegistration(n, 1, $"realm{i % 10}", $"Capability {i}.", Determinism.Deterministic, Idempotent: true));
        _curator = new Curator(new SagaDefinitionCatalog(definitions), registrations);
        _dictionary = _curator.All.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var random = new Random(7);
        _names = Enumerable.Range(0, Lookups).Select(i => names[i % names.Length]).OrderBy(_ => random.Next()).ToArray();
    }

    /// <summary>Baseline: a dictionary from name to descriptor.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Lookups)]
    public int Dictionary()
    {
        var found = 0;
        foreach (var name in _names)
        {
            found += _dictionary.TryGetValue(name, out var descriptor) ? descriptor.Version : 0;
        }

        return found;
    }

    /// <summary><see cref="Curator.Find"/>: the descriptor of the latest version.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int CuratorFind()
    {
        var found = 0;
        foreach (var name in _names)
        {
            found += _curator!.Find(name)?.Version ?? 0;
        }

        return found;
    }

    /// <summary><see cref="Curator.Resolve"/>: what intake calls.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int CuratorResolve()
    {
        var found = 0;
        foreach (var name in _names)
        {
            found += _curator!.Resolve(name, null)?.Version ?? 0;
        }

        return found;
    }

    /// <summary>Never run: the Curator only needs its types.</summary>
    public sealed class NoOpSaga : Orchestrator<TrivialInput, int>
    {
        /// <inheritdoc/>
        public override Task<int> RunAsync(SagaContext saga, TrivialInput input) => Task.FromResult(0);
    }
}
