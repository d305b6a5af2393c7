using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Wal;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// The sagas this host knows, keyed by tenant and id: the live ones (running, waiting, resuming), the newest
/// <see cref="SagaOptions.EndedSagasKept"/> ended ones, and those that cannot run (poisoned). As a retention hold
/// it keeps the log from the first record of the oldest unfinished saga.
/// </summary>
internal sealed class SagaStore : IWalRetentionHold
{
    private readonly ActiveSagas _active = new();
    private readonly ConcurrentDictionary<(TenantId, SagaId), SagaSnapshot> _poisoned = new();
    private readonly EndedSagas _ended;
    private readonly IWriteAheadLog _wal;

    public SagaStore(IWriteAheadLog wal, IOptions<SymphainyOptions> options)
    {
        _wal = wal;
        _ended = new EndedSagas(options.Value.Sagas.EndedSagasKept);
    }

    public int ActiveCount => _active.Count;

    /// <summary>The lowest position an unfinished saga still needs (everything, while a saga cannot run).</summary>
    public long RetainFrom
    {
        get
        {
            if (!_poisoned.IsEmpty)
            {
                return 1;
            }

            return _active.LowestFirstPosition(_wal.NextPosition);
        }
    }

    public void Add(SagaRun run) => _active.Set(run);

    public bool TryGetActive(TenantId tenant, SagaId saga, out SagaRun run) => _active.TryGet(tenant, saga, out run);

    /// <summary>Snapshots of the sagas not ended on this host (of one tenant, or all).</summary>
    public IReadOnlyList<SagaSnapshot> Active(TenantId? tenant) => _active.Snapshots(tenant);

    public SagaSnapshot? Find(TenantId tenant, SagaId saga) =>
        _active.TryGet(tenant, saga, out var run) ? run.Snapshot()
        : _ended.Find(tenant, saga) ?? _poisoned.GetValueOrDefault((tenant, saga));

    /// <summary>Moves an ended saga from the live set to the ended ones, forgetting the oldest beyond the limit.</summary>
    public void Retire(SagaSnapshot snapshot)
    {
        _ended.Add(snapshot);
        _active.Remove(snapshot.Tenant, snapshot.Id);
    }

    /// <summary>Forgets an ended saga kept for queries (for erasure); false when none is kept.</summary>
    public bool ForgetEnded(TenantId tenant, SagaId saga) => _ended.Forget(tenant, saga);

    /// <summary>Records a saga that cannot run (its definition is missing or it is not deterministic).</summary>
    public void Poison(SagaSnapshot snapshot)
    {
        _active.Remove(snapshot.Tenant, snapshot.Id);
        _poisoned[(snapshot.Tenant, snapshot.Id)] = snapshot;
    }

    /// <summary>
    /// The newest ended sagas, in a ring of structs with a preallocated index, their outputs copied into a
    /// first-in-first-out arena of pooled chunks: keeping them allocates nothing per saga, so the thousands of
    /// recently ended sagas kept for queries do not age into the oldest GC generation as objects of their own (an
    /// array per output did: at 190,000 sagas/s it made a full background collection every half second).
    /// </summary>
    private sealed class EndedSagas(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Entry[] _ring = new Entry[capacity];
        private readonly Dictionary<(TenantId, SagaId), int> _index = new(capacity);
        private readonly OutputArena _outputs = new();
        private int _next;

        public void Add(SagaSnapshot ended)
        {
            if (_ring.Length == 0)
            {
                return;
            }

            lock (_gate)
            {
                ref var slot = ref _ring[_next];
                if (slot.Definition is not null)
                {
                    _index.Remove((slot.Tenant, slot.Id));
                    _outputs.ReleaseUpTo(slot.ArenaEnd); // the oldest kept saga's output, and anything before it
                }

                var output = ended.OutputJson is { } json ? _outputs.Keep(json.Span) : default;
                slot = new Entry(ended.Tenant, ended.Id, ended.Intent, ended.Definition, ended.Version, ended.State, ended.CompletedSteps, ended.OutputJson.HasValue, output, _outputs.End, ended.Error);
                _index[(ended.Tenant, ended.Id)] = _next;
                _next = (_next + 1) % _ring.Length;
            }
        }

        /// <summary>
        /// Drops the saga from the index and overwrites its output's bytes; its slot stays in the ring (holding no
        /// output) until the ring reuses it, so the arena's release order is unchanged.
        /// </summary>
        public bool Forget(TenantId tenant, SagaId saga)
        {
            lock (_gate)
            {
                if (!_index.Remove((tenant, saga), out var at))
                {
                    return false;
                }

                ref var slot = ref _ring[at];
                if (slot.HasOutput)
                {
                    _outputs.Clear(slot.Output);
                }

                slot = slot with { HasOutput = false, Output = default, Error = null };
                return true;
            }
        }

        public SagaSnapshot? Find(TenantId tenant, SagaId saga)
        {
            lock (_gate)
            {
                if (!_index.TryGetValue((tenant, saga), out var at))
                {
                    return null;
                }

                var e = _ring[at];
                var output = e.HasOutput ? new ReadOnlyMemory<byte>(_outputs.Copy(e.Output)) : (ReadOnlyMemory<byte>?)null;
                return new SagaSnapshot(e.Id, e.Tenant, e.Intent, e.Definition!, e.Version, e.State, e.Steps, null, output, e.Error);
            }
        }

        private readonly record struct Entry(
            TenantId Tenant, SagaId Id, IntentId Intent, string? Definition, int Version, SagaState State, int Steps,
            bool HasOutput, OutputArena.Slice Output, long ArenaEnd, SagaError? Error);
    }

    /// <summary>
    /// Bytes kept first in, first out: appended at the end, released from the front, in chunks that are reused. An
    /// output too large for a chunk's quarter keeps an array of its own.
    /// </summary>
    private sealed class OutputArena
    {
        private const int ChunkSize = 64 * 1024;
        private const int PooledChunks = 4;
        private readonly List<byte[]> _chunks = [];
        private readonly Stack<byte[]> _free = new();
        private long _start; // absolute offset of the first chunk's first byte
        private long _end;   // absolute offset where the next bytes go

        /// <summary>Where the kept bytes end: everything before it is released by <see cref="ReleaseUpTo"/>.</summary>
        public long End => _end;

        public Slice Keep(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > ChunkSize / 4)
            {
                return new Slice(-1, bytes.Length, bytes.ToArray());
            }

            var within = (int)(_end % ChunkSize);
            if (within + bytes.Length > ChunkSize)
            {
                _end += ChunkSize - within; // does not fit: start the next chunk
                within = 0;
            }

            if (_end == _start + ((long)_chunks.Count * ChunkSize))
            {
                _chunks.Add(_free.Count > 0 ? _free.Pop() : new byte[ChunkSize]);
            }

            var chunk = _chunks[(int)((_end - _start) / ChunkSize)];
            bytes.CopyTo(chunk.AsSpan(within));
            var slice = new Slice(_end, bytes.Length, null);
            _end += bytes.Length;
            return slice;
        }

        public byte[] Copy(Slice slice)
        {
            if (slice.Own is { } own)
            {
                return own;
            }

            var chunk = _chunks[(int)((slice.At - _start) / ChunkSize)];
            return chunk.AsSpan((int)(slice.At % ChunkSize), slice.Length).ToArray();
        }

        /// <summary>Overwrites the bytes of <paramref name="slice"/> with zeros.</summary>
        public void Clear(Slice slice)
        {
            if (slice.Own is { } own)
            {
                Array.Clear(own);
                return;
            }

            if (slice.At >= _start)
            {
                _chunks[(int)((slice.At - _start) / ChunkSize)].AsSpan((int)(slice.At % ChunkSize), slice.Length).Clear();
            }
        }

        /// <summary>Releases every whole chunk that lies before <paramref name="offset"/>.</summary>
        public void ReleaseUpTo(long offset)
        {
            while (_chunks.Count > 0 && _start + ChunkSize <= offset)
            {
                var chunk = _chunks[0];
                _chunks.RemoveAt(0);
                _start += ChunkSize;
                if (_free.Count < PooledChunks)
                {
                    _free.Push(chunk);
                }
            }
        }

        /// <summary>Where an output lies: in a chunk at an absolute offset, or in an array of its own.</summary>
        public readonly record struct Slice(long At, int Length, byte[]? Own);
    }

    /// <summary>
    /// The live sagas in lock-striped dictionaries: adding and removing a saga allocates nothing (a concurrent
    /// dictionary allocates a node per entry), and the stripes keep the locks short and rarely contended. Each stripe
    /// also keeps its sagas in a binary heap by first position (each run knows its index in it), so the lowest
    /// position retention needs is read from 32 heap tops: walking the dictionaries at every checkpoint cost a time
    /// proportional to the sagas in flight, every 256 ended sagas, and after a backlog of a million sagas it stayed
    /// that slow (a dictionary enumerates every slot it ever used), halving the engine's rate for good.
    /// </summary>
    private sealed class ActiveSagas
    {
        private const int Stripes = 32;
        private readonly Stripe[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new Stripe()).ToArray();

        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Set(SagaRun run)
        {
            var stripe = StripeOf(run.Id);
            lock (stripe.Gate)
            {
                if (stripe.Runs.TryAdd((run.Tenant, run.Id), run))
                {
                    stripe.Push(run);
                    Interlocked.Increment(ref _count);
                }
                else
                {
                    var replaced = stripe.Runs[(run.Tenant, run.Id)];
                    stripe.Runs[(run.Tenant, run.Id)] = run;
                    stripe.Replace(replaced, run);
                }
            }
        }

        public bool TryGet(TenantId tenant, SagaId saga, out SagaRun run)
        {
            var stripe = StripeOf(saga);
            lock (stripe.Gate)
            {
                return stripe.Runs.TryGetValue((tenant, saga), out run!);
            }
        }

        public void Remove(TenantId tenant, SagaId saga)
        {
            var stripe = StripeOf(saga);
            lock (stripe.Gate)
            {
                if (stripe.Runs.Remove((tenant, saga), out var run))
                {
                    stripe.RemoveFromHeap(run);
                    stripe.ShrinkAfterBacklog();
                    Interlocked.Decrement(ref _count);
                }
            }
        }

        public List<SagaSnapshot> Snapshots(TenantId? tenant)
        {
            var snapshots = new List<SagaSnapshot>();
            foreach (var stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    snapshots.AddRange(stripe.Runs.Values.Where(r => tenant is null || r.Tenant == tenant).Select(r => r.Snapshot()));
                }
            }

            return snapshots;
        }

        public long LowestFirstPosition(long lowest)
        {
            foreach (var stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    if (stripe.Lowest is { } run)
                    {
                        lowest = Math.Min(lowest, run.FirstPosition);
                    }
                }
            }

            return lowest;
        }

        private Stripe StripeOf(SagaId saga) => _stripes[(saga.Value.GetHashCode() & int.MaxValue) % Stripes];

        /// <summary>One stripe: its lock, its sagas by key, and the same sagas in a min-heap by first position.</summary>
        private sealed class Stripe
        {
            private SagaRun[] _heap = new SagaRun[16];
            private int _size;

            public Lock Gate { get; } = new();

            public Dictionary<(TenantId, SagaId), SagaRun> Runs { get; } = [];

            public SagaRun? Lowest => _size > 0 ? _heap[0] : null;

            /// <summary>
            /// Gives back what a backlog grew: once a stripe holds less than an eighth of what it has room for (and that
            /// room is over 4,096 sagas), its dictionary and heap shrink to twice what they hold. Growing doubles, so
            /// the copying stays in proportion to the sagas added and removed.
            /// </summary>
            public void ShrinkAfterBacklog()
            {
                const int Keep = 4096;
                var count = Runs.Count;
                if (_heap.Length > Keep && count < _heap.Length / 8)
                {
                    Array.Resize(ref _heap, Math.Max(16, count * 2));
                }

                if (Runs.EnsureCapacity(0) is var capacity && capacity > Keep && count < capacity / 8)
                {
                    Runs.TrimExcess(count * 2);
                }
            }

            public void Push(SagaRun run)
            {
                if (_size == _heap.Length)
                {
                    Array.Resize(ref _heap, _size * 2);
                }

                Place(run, _size++);
                SiftUp(run.StoreHeapIndex);
            }

            /// <summary>Puts <paramref name="run"/> where <paramref name="replaced"/> was (a saga resumed afresh).</summary>
            public void Replace(SagaRun replaced, SagaRun run)
            {
                if (ReferenceEquals(replaced, run))
                {
                    return;
                }

                var at = replaced.StoreHeapIndex;
                replaced.StoreHeapIndex = -1;
                Place(run, at);
                SiftDown(SiftUp(at));
            }

            public void RemoveFromHeap(SagaRun run)
            {
                var at = run.StoreHeapIndex;
                run.StoreHeapIndex = -1;
                var last = _heap[--_size];
                _heap[_size] = null!;
                if (at == _size)
                {
                    return;
                }

                Place(last, at);
                SiftDown(SiftUp(at));
            }

            private void Place(SagaRun run, int at)
            {
                _heap[at] = run;
                run.StoreHeapIndex = at;
            }

            private int SiftUp(int at)
            {
                var run = _heap[at];
                while (at > 0)
                {
                    var parent = (at - 1) / 2;
                    if (_heap[parent].FirstPosition <= run.FirstPosition)
                    {
                        break;
                    }

                    Place(_heap[parent], at);
                    at = parent;
                }

                Place(run, at);
                return at;
            }

            private void SiftDown(int at)
            {
                var run = _heap[at];
                while (true)
                {
                    var child = (2 * at) + 1;
                    if (child >= _size)
                    {
                        break;
                    }

                    if (child + 1 < _size && _heap[child + 1].FirstPosition < _heap[child].FirstPosition)
                    {
                        child++;
                    }

                    if (run.FirstPosition <= _heap[child].FirstPosition)
                    {
                        break;
                    }

                    Place(_heap[child], at);
                    at = child;
                }

                Place(run, at);
            }
        }
    }
}
