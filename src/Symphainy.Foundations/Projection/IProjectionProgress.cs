namespace Symphainy.Projection;

/// <summary>
/// A projection of the write-ahead log that says how far it got, so its lag behind the log can be measured
/// (the Nurse's <c>symphainy.projection.lag</c>). Register with
/// <c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IProjectionProgress, T&gt;(...))</c>.
/// </summary>
public interface IProjectionProgress
{
    /// <summary>The projection's name (its checkpoint name).</summary>
    string ProjectionName { get; }

    /// <summary>The last log position the projection has written (its checkpoint once written); 0 before any.</summary>
    long ProjectedPosition { get; }
}
