namespace OrleansMount.Tests.Caching;

/// <summary>The policies 0006 compares against: plain LRU (what ChunkStore did before) and FIFO, capacity in keys.</summary>
internal sealed class ReferenceCache(int capacity, bool promoteOnHit)
{
    private readonly Dictionary<int, LinkedListNode<int>> _nodes = [];
    private readonly LinkedList<int> _order = new();

    public static ReferenceCache Lru(int capacity) => new(capacity, promoteOnHit: true);

    public static ReferenceCache Fifo(int capacity) => new(capacity, promoteOnHit: false);

    public bool Access(int key)
    {
        if (_nodes.TryGetValue(key, out var node))
        {
            if (promoteOnHit)
            {
                _order.Remove(node);
                _order.AddLast(node);
            }

            return true;
        }

        if (_nodes.Count == capacity)
        {
            _nodes.Remove(_order.First!.Value);
            _order.RemoveFirst();
        }

        _nodes[key] = _order.AddLast(key);
        return false;
    }
}
