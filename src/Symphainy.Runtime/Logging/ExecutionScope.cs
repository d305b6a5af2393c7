using System.Collections;

namespace Symphainy.Logging;

/// <summary>
/// The ids of the execution a piece of work belongs to, as a logging scope: the JSON console formatter
/// writes each one as a property (<c>TenantId</c>, <c>SessionId</c>, <c>SagaId</c>, <c>IntentId</c>).
/// Start one with <c>logger.BeginExecutionScope(...)</c>.
/// </summary>
public sealed class ExecutionScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _items;

    /// <summary>Creates a scope from whichever ids are known.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="session">The session, if any.</param>
    /// <param name="saga">The saga, if any.</param>
    /// <param name="intent">The intent, if any.</param>
    public ExecutionScope(TenantId tenant, SessionId? session = null, SagaId? saga = null, IntentId? intent = null)
    {
        var items = new List<KeyValuePair<string, object?>>(4) { new("TenantId", tenant.ToString()) };
        if (session is { } s)
        {
            items.Add(new("SessionId", s.ToString()));
        }

        if (saga is { } g)
        {
            items.Add(new("SagaId", g.ToString()));
        }

        if (intent is { } i)
        {
            items.Add(new("IntentId", i.ToString()));
        }

        _items = [.. items];
    }

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public KeyValuePair<string, object?> this[int index] => _items[index];

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString() => string.Join(' ', _items.Select(i => $"{i.Key}={i.Value}"));
}
