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
}
