using Symphainy.State;

namespace Symphainy.Projection;

/// <summary>
/// Implemented by a state graph that can remember how far a projection got, in the same store as the graph,
/// so that the projector resumes where it stopped. A graph without it is rebuilt from the log on every start.
/// </summary>
public interface IProjectionCheckpoints
{
    /// <summary>The last log position projected by <paramref name="projection"/>, or 0.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default);

    /// <summary>Records how far <paramref name="projection"/> got.</summary>
    /// <param name="projection">The projection's name.</param>
    /// <param name="position">The last log position projected.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a projected batch to <paramref name="graph"/> (this store's graph) and records that
    /// <paramref name="projection"/> got to <paramref name="position"/>. By default the batch first (when it has
    /// anything in it), then the checkpoint: a crash in between projects the batch again, which upserts the same
    /// nodes and edges. A store that keeps both in one database overrides this to write them in one transaction.
    /// </summary>
    /// <param name="graph">The graph the batch goes to: the object implementing this interface.</param>
    /// <param name="batch">The nodes and edges.</param>
    /// <param name="projection">The projection's name.</param>
    /// <param name="position">The last log position the batch covers.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    async ValueTask UpsertWithCheckpointAsync(IStateGraph graph, GraphBatch batch, string projection, long position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Nodes.Count > 0 || batch.Edges.Count > 0)
        {
            await graph.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        await SetCheckpointAsync(projection, position, cancellationToken).ConfigureAwait(false);
    }
}
