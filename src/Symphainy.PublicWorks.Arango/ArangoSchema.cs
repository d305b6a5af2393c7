using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Symphainy.PublicWorks.Arango;

/// <summary>
/// The graph's layout in ArangoDB: a document collection of nodes, an edge collection of lineage edges and a document
/// collection of projection checkpoints, with persistent indexes that lead with the tenant; and how keys are made.
/// A node's <c>_key</c> is the SHA-256 of its tenant and id (ids may hold characters a key may not, and are longer than
/// a key may be), so the same id of two tenants is two documents and an edge's <c>_from</c>/<c>_to</c> handles can
/// never reach another tenant's node.
/// </summary>
internal sealed class ArangoSchema
{
    /// <summary>Arango's collection type numbers.</summary>
    private const int DocumentCollection = 2;
    private const int EdgeCollection = 3;

    public ArangoSchema(string prefix)
    {
        Nodes = prefix + "nodes";
        Edges = prefix + "edges";
        Checkpoints = prefix + "checkpoints";
    }

    /// <summary>The node (vertex) collection.</summary>
    public string Nodes { get; }

    /// <summary>The edge collection.</summary>
    public string Edges { get; }

    /// <summary>The projection checkpoint collection.</summary>
    public string Checkpoints { get; }

    /// <summary>The persistent indexes, by collection: every one leads with the tenant.</summary>
    public IReadOnlyList<(string Collection, string Name, string[] Fields)> Indexes =>
    [
        (Nodes, "symphainy_by_tenant_kind_ord", ["tenant", "kind", "ord"]),
        (Edges, "symphainy_by_tenant_from", ["tenant", "from", "to"]),
        (Edges, "symphainy_by_tenant_to", ["tenant", "to", "from"]),
    ];

    /// <summary>The <c>_key</c> of a tenant's node.</summary>
    public static string NodeKey(TenantId tenant, string id) => Hash(tenant.ToString(), id);

    /// <summary>The document handle (<c>collection/_key</c>) of a tenant's node, as an edge's <c>_from</c> or <c>_to</c>.</summary>
    public string NodeHandle(TenantId tenant, string id) => $"{Nodes}/{NodeKey(tenant, id)}";

    /// <summary>The <c>_key</c> of an edge: the same edge written twice is one document.</summary>
    public static string EdgeKey(TenantId tenant, string from, string to, string relation) => Hash(tenant.ToString(), from, to, relation);

    /// <summary>The <c>_key</c> of a projection's checkpoint.</summary>
    public static string CheckpointKey(string projection) => Hash("checkpoint", projection);

    /// <summary>
    /// A string whose order under AQL's comparison equals the ordinal order of <paramref name="id"/>: each UTF-16 code
    /// unit as four lowercase hex digits. AQL compares strings with ICU collation, not ordinally; digits and lowercase
    /// a-f of equal length collate as their code points do, and a prefix sorts first.
    /// </summary>
    public static string Ordinal(string id)
    {
        var builder = new StringBuilder(id.Length * 4);
        foreach (var c in id)
        {
            builder.Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>
    /// Creates what is missing: the database (through <c>_system</c>), the three collections and their indexes.
    /// Creating what exists already is not an error (errorNum 1207, or 200 for an existing index), so several hosts
    /// may start at once.
    /// </summary>
    public async Task EnsureAsync(ArangoClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.SendAsync(HttpMethod.Get, null, "_api/database/current", null, null, retry: true, cancellationToken).ConfigureAwait(false);
        }
        catch (ArangoException e) when (e.ErrorNum == ArangoClient.DatabaseNotFoundErrorNum)
        {
            await IgnoreDuplicateAsync(() => client.SendAsync(HttpMethod.Post, "_system", "_api/database", new Dictionary<string, object?> { ["name"] = client.Database }, null, retry: true, cancellationToken)).ConfigureAwait(false);
        }

        foreach (var (name, type) in new[] { (Nodes, DocumentCollection), (Edges, EdgeCollection), (Checkpoints, DocumentCollection) })
        {
            var created = await IgnoreDuplicateAsync(() => client.SendAsync(HttpMethod.Post, null, "_api/collection", new Dictionary<string, object?> { ["name"] = name, ["type"] = type }, null, retry: true, cancellationToken)).ConfigureAwait(false);
            if (!created)
            {
                var existing = await client.SendAsync(HttpMethod.Get, null, $"_api/collection/{Uri.EscapeDataString(name)}", null, null, retry: true, cancellationToken).ConfigureAwait(false);
                if (!existing.TryGetProperty("type", out var found) || !found.TryGetInt32(out var foundType) || foundType != type)
                {
                    throw new ArangoException(
                        ArangoErrorCodes.RequestFailed,
                        $"The collection {name} in database {client.Database} exists but is not {(type == EdgeCollection ? "an edge" : "a document")} collection; choose another {ArangoOptions.SectionName}:CollectionPrefix or remove it.",
                        0,
                        0);
                }
            }
        }

        foreach (var (collection, name, fields) in Indexes)
        {
            var index = new Dictionary<string, object?> { ["type"] = "persistent", ["name"] = name, ["fields"] = fields, ["unique"] = false, ["sparse"] = false };
            await client.SendAsync(HttpMethod.Post, null, $"_api/index?collection={Uri.EscapeDataString(collection)}", index, null, retry: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a create request; false when it failed because the thing exists (errorNum 1207).</summary>
    private static async Task<bool> IgnoreDuplicateAsync(Func<Task<JsonElement>> create)
    {
        try
        {
            await create().ConfigureAwait(false);
            return true;
        }
        catch (ArangoException e) when (e.ErrorNum == ArangoClient.DuplicateNameErrorNum)
        {
            return false;
        }
    }

    private static string Hash(params string[] parts)
    {
        // Ids and relations hold no control characters (StateKeys), so '\n' cannot occur inside a part.
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)));
        return Convert.ToHexStringLower(bytes);
    }
}
