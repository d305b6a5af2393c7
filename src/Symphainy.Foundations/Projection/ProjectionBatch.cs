using System.Buffers;
using System.Text.Json;
using Symphainy.State;
using Symphainy.Wal.Records;

namespace Symphainy.Projection;

/// <summary>
/// The nodes and edges of the records read since the last write to the graph. A node written again replaces the
/// earlier one in place (a saga started and ended within one batch is written once, ended). Node properties are
/// written as UTF-8 JSON by one reused <see cref="Utf8JsonWriter"/> into one buffer, as the elements of one array,
/// and parsed once per batch into one document whose elements become the nodes' properties: no serializer, no
/// intermediate element and no document per node.
/// </summary>
internal sealed class ProjectionBatch : IDisposable
{
    private readonly Dictionary<(TenantId Tenant, string Id), int> _slots = [];
    private readonly List<PendingNode> _nodes = [];
    private readonly List<GraphEdge> _edges = [];
    private ArrayBufferWriter<byte> _buffer = new(InitialBuffer);
    private Utf8JsonWriter _json;
    private int _properties;
    private GraphBatch? _built;

    public ProjectionBatch() => _json = new Utf8JsonWriter(_buffer);

    // The properties of a usual batch fit; a batch of large outputs grows the buffer, which is let go afterwards.
    private const int InitialBuffer = 256 * 1024;
    private const int KeptBuffer = 4 * 1024 * 1024;

    /// <summary>The log records read into this batch.</summary>
    public int Records { get; private set; }

    /// <summary>Counts a record read into the batch, whether or not it added anything.</summary>
    public void CountRecord() => Records++;

    /// <summary>The writer of the next node's properties: write exactly one JSON value, then call <see cref="Node"/>.</summary>
    public Utf8JsonWriter Properties()
    {
        if (_properties == 0 && _json.CurrentDepth == 0)
        {
            _json.WriteStartArray();
        }

        return _json;
    }

    /// <summary>Adds (or replaces) a node whose properties were just written to <see cref="Properties"/>.</summary>
    public void Node(TenantId tenant, string id, GraphNodeKind kind, DateTimeOffset at)
    {
        var node = new PendingNode(tenant, id, kind, at, _properties++);
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_slots, (tenant, id), out var exists);
        if (exists)
        {
            _nodes[slot] = node;
        }
        else
        {
            slot = _nodes.Count;
            _nodes.Add(node);
        }
    }

    /// <summary>Adds an edge.</summary>
    public void Edge(TenantId tenant, string from, string to, string relation) => _edges.Add(new GraphEdge(tenant, from, to, relation));

    /// <summary>The batch to write: the nodes in first-written order, each with its last properties. Built once; add nothing after.</summary>
    public GraphBatch Build() => _built ??= BuildOnce();

    private GraphBatch BuildOnce()
    {
        var properties = new JsonElement[_properties];
        if (_properties > 0)
        {
            _json.WriteEndArray();
            _json.Flush();
            // A value from the log nests up to WalPayloadCodec.MaxJsonDepth levels, under a node's object in this array.
            var reader = new Utf8JsonReader(_buffer.WrittenSpan, new JsonReaderOptions { MaxDepth = WalPayloadCodec.MaxJsonDepth + 2 });
            var i = 0;
            foreach (var element in JsonElement.ParseValue(ref reader).EnumerateArray())
            {
                properties[i++] = element;
            }
        }

        var nodes = new GraphNode[_nodes.Count];
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = _nodes[i];
            nodes[i] = new GraphNode(node.Tenant, node.Id, node.Kind, properties[node.Properties], node.At);
        }

        return new GraphBatch(nodes, _edges.ToArray());
    }

    /// <summary>Empties the batch for the next records; the buffer is kept.</summary>
    public void Clear()
    {
        _slots.Clear();
        _nodes.Clear();
        _edges.Clear();
        if (_buffer.Capacity > KeptBuffer)
        {
            _json.Dispose();
            _buffer = new ArrayBufferWriter<byte>(InitialBuffer);
            _json = new Utf8JsonWriter(_buffer);
        }
        else
        {
            _json.Reset();
            _buffer.ResetWrittenCount();
        }

        _properties = 0;
        _built = null;
        Records = 0;
    }

    public void Dispose() => _json.Dispose();

    private readonly record struct PendingNode(TenantId Tenant, string Id, GraphNodeKind Kind, DateTimeOffset At, int Properties);
}
