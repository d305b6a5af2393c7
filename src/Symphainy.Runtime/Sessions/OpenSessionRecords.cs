using Symphainy.Internal;

namespace Symphainy.Sessions;

/// <summary>
/// The latest log position and expiry of every open session, for retention: the lowest position still needed comes
/// from the top of a heap (expired sessions at the top are forgotten as they surface), where walking every open
/// session at each checkpoint cost a time proportional to the sessions, every 256 ended sagas.
/// </summary>
internal sealed class OpenSessionRecords
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(TenantId, SessionId), Entry> _entries = [];
    private readonly PositionHeap<Entry> _heap = new();

    /// <summary>Records that the session's latest record is at <paramref name="position"/> and it expires then.</summary>
    public void Set(TenantId tenant, SessionId id, long position, DateTimeOffset expires)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue((tenant, id), out var entry))
            {
                entry.Position = position;
                entry.Expires = expires;
                _heap.Moved(entry);
            }
            else
            {
                entry = new Entry { Key = (tenant, id), Position = position, Expires = expires };
                _entries.Add(entry.Key, entry);
                _heap.Push(entry);
            }
        }
    }

    /// <summary>The recorded expiry of an open session.</summary>
    public bool TryGetExpiry(TenantId tenant, SessionId id, out DateTimeOffset expires)
    {
        lock (_gate)
        {
            var found = _entries.TryGetValue((tenant, id), out var entry);
            expires = found ? entry!.Expires : default;
            return found;
        }
    }

    /// <summary>Forgets an ended session.</summary>
    public void Remove(TenantId tenant, SessionId id)
    {
        lock (_gate)
        {
            if (_entries.Remove((tenant, id), out var entry))
            {
                _heap.Remove(entry);
            }
        }
    }

    /// <summary>The lowest position of an open session's latest record, forgetting the expired ones on the way; null when none.</summary>
    public long? Lowest(DateTimeOffset now)
    {
        lock (_gate)
        {
            while (_heap.Lowest is { } lowest)
            {
                if (lowest.Expires > now)
                {
                    return lowest.Position;
                }

                _heap.Remove(lowest);
                _entries.Remove(lowest.Key);
            }

            return null;
        }
    }

    private sealed class Entry : IPositioned
    {
        public (TenantId, SessionId) Key { get; init; }

        public long Position { get; set; }

        public DateTimeOffset Expires { get; set; }

        public int HeapIndex { get; set; } = -1;
    }
}
