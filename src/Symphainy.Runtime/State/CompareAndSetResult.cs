namespace Symphainy.State;

/// <summary>The outcome of <see cref="IHotStateStore.CompareAndSetAsync"/>.</summary>
/// <param name="Succeeded">Whether the value was written.</param>
/// <param name="CurrentVersion">The key's version now: the new one on success, the one that blocked the write otherwise (0 when absent).</param>
public readonly record struct CompareAndSetResult(bool Succeeded, long CurrentVersion);
