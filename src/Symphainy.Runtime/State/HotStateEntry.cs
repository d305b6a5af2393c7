namespace Symphainy.State;

/// <summary>A value in the hot state store.</summary>
/// <param name="Key">The key, unique within its tenant.</param>
/// <param name="Value">The stored bytes.</param>
/// <param name="Version">1 for the first write of the key, then one more per write.</param>
/// <param name="ExpiresAt">When it disappears, or null to keep it until deleted.</param>
public sealed record HotStateEntry(string Key, ReadOnlyMemory<byte> Value, long Version, DateTimeOffset? ExpiresAt);
