using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Symphainy.Reliability.Tests.Isolation;

/// <summary>
/// What each tenant owns, as the tests created it: sessions, executions, intents and the private markers written into
/// their payloads. <see cref="Foreign"/> finds, in any text an answer carried, every id or marker that belongs to
/// another tenant than the one that asked.
/// </summary>
public sealed partial class TenantModel(int tenants)
{
    private readonly ConcurrentDictionary<string, int> _owner = new(StringComparer.Ordinal);

    public List<string>[] Sessions { get; } = [.. Enumerable.Range(0, tenants).Select(_ => new List<string>())];

    public HashSet<string>[] EndedSessions { get; } = [.. Enumerable.Range(0, tenants).Select(_ => new HashSet<string>(StringComparer.Ordinal))];

    public List<Execution>[] Executions { get; } = [.. Enumerable.Range(0, tenants).Select(_ => new List<Execution>())];

    public int Tenants => tenants;

    /// <summary>Notes that <paramref name="tenant"/> owns <paramref name="token"/> (an id or a marker).</summary>
    public void Own(int tenant, string token) => _owner[token] = tenant;

    public int? OwnerOf(string token) => _owner.TryGetValue(token, out var owner) ? owner : null;

    /// <summary>
    /// Every id or marker in <paramref name="text"/> that another tenant than <paramref name="reader"/> owns, except
    /// those the reader itself <paramref name="asked"/> about (a "not found" may name the id it was asked for).
    /// </summary>
    public IEnumerable<string> Foreign(int reader, string text, IReadOnlySet<string>? asked = null)
    {
        foreach (Match match in Token().Matches(text))
        {
            if (_owner.TryGetValue(match.Value, out var owner) && owner != reader && asked?.Contains(match.Value) != true)
            {
                yield return $"{match.Value} (tenant {owner})";
            }
        }
    }

    public static string Marker(int tenant) => $"mk{tenant}x{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..16]}";

    [GeneratedRegex("(?:ses|sag|int|ten)_[0-9a-f]{32}|mk[0-9]+x[0-9a-f]{16}")]
    private static partial Regex Token();

    /// <summary>One execution a tenant started: its capability, its private marker and what its owner did to it.</summary>
    public sealed class Execution(string id, string capability, string marker, string? session)
    {
        public string Id { get; } = id;

        public string Capability { get; } = capability;

        public string Marker { get; } = marker;

        public string? Session { get; } = session;

        /// <summary>Its owner signalled or cancelled it (otherwise an approval must still be waiting at the end).</summary>
        public bool TouchedByOwner { get; set; }
    }
}
