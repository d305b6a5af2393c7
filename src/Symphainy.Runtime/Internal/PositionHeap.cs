namespace Symphainy.Internal;

/// <summary>An item of a <see cref="PositionHeap{T}"/>: a log position, and where the heap holds the item.</summary>
internal interface IPositioned
{
    /// <summary>The log position the heap orders by.</summary>
    long Position { get; }

    /// <summary>The item's index in the heap that holds it, -1 outside one; only the heap writes it.</summary>
    int HeapIndex { get; set; }
}

/// <summary>
/// A binary min-heap of items by log position whose items know their index, so that any of them is removed or moved
/// in O(log n): what a retention hold needs to answer "the lowest position still needed" without walking everything
/// it holds. Not thread-safe: its owner locks. It shrinks back after a backlog (<see cref="Remove"/>).
/// </summary>
internal sealed class PositionHeap<T>
    where T : class, IPositioned
{
    private const int Keep = 4096;
    private T[] _items = new T[16];
    private int _size;

    public int Count => _size;

    /// <summary>The item with the lowest position, null when empty.</summary>
    public T? Lowest => _size > 0 ? _items[0] : null;

    public void Push(T item)
    {
        if (_size == _items.Length)
        {
            Array.Resize(ref _items, _size * 2);
        }

        Place(item, _size++);
        SiftUp(item.HeapIndex);
    }

    /// <summary>Puts <paramref name="item"/> where <paramref name="replaced"/> is.</summary>
    public void Replace(T replaced, T item)
    {
        if (ReferenceEquals(replaced, item))
        {
            Moved(item);
            return;
        }

        var at = replaced.HeapIndex;
        replaced.HeapIndex = -1;
        Place(item, at);
        SiftDown(SiftUp(at));
    }

    /// <summary>Restores the order after <paramref name="item"/>'s position changed.</summary>
    public void Moved(T item) => SiftDown(SiftUp(item.HeapIndex));

    public void Remove(T item)
    {
        var at = item.HeapIndex;
        item.HeapIndex = -1;
        var last = _items[--_size];
        _items[_size] = null!;
        if (at != _size)
        {
            Place(last, at);
            SiftDown(SiftUp(at));
        }

        // Gives back what a backlog grew: below an eighth of its room (over 4,096), it shrinks to twice what it holds.
        if (_items.Length > Keep && _size < _items.Length / 8)
        {
            Array.Resize(ref _items, Math.Max(16, _size * 2));
        }
    }

    private void Place(T item, int at)
    {
        _items[at] = item;
        item.HeapIndex = at;
    }

    private int SiftUp(int at)
    {
        var item = _items[at];
        while (at > 0)
        {
            var parent = (at - 1) / 2;
            if (_items[parent].Position <= item.Position)
            {
                break;
            }

            Place(_items[parent], at);
            at = parent;
        }

        Place(item, at);
        return at;
    }

    private void SiftDown(int at)
    {
        var item = _items[at];
        while (true)
        {
            var child = (2 * at) + 1;
            if (child >= _size)
            {
                break;
            }

            if (child + 1 < _size && _items[child + 1].Position < _items[child].Position)
            {
                child++;
            }

            if (item.Position <= _items[child].Position)
            {
                break;
            }

            Place(_items[child], at);
            at = child;
        }

        Place(item, at);
    }
}
