namespace OrleansMount.Core;

/// <summary>
/// Streams sorted paths and holds back a file while a later key could still show it to be a
/// directory too ("a/b" then "a/b/c"): such a file is rejected, the directory wins. Keys with the
/// prefix "a/b" are contiguous in sorted order, so a file is settled as soon as a key without that
/// prefix arrives; at most one file per path depth is open at once, and only the keys between
/// such a file and its settling are held back.
/// </summary>
public sealed class PathConflictFilter<T>
{
    private readonly Queue<Pending> _queue = new();
    private readonly List<Pending> _open = [];
    private readonly Action<T> _accept;
    private readonly Action<T> _reject;
    private string? _last;

    public PathConflictFilter(Action<T> accept, Action<T> reject)
    {
        _accept = accept;
        _reject = reject;
    }

    /// <summary>Adds the next path (strictly greater than the previous one, ordinal).</summary>
    public void Add(string path, T item)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_last is not null && string.CompareOrdinal(_last, path) >= 0)
        {
            throw new InvalidOperationException($"keys out of order: '{path}' after '{_last}'");
        }

        _last = path;
        for (var i = _open.Count - 1; i >= 0; i--)
        {
            var pending = _open[i];
            if (path.Length > pending.Path.Length && path.StartsWith(pending.Path, StringComparison.Ordinal))
            {
                if (path[pending.Path.Length] == '/')
                {
                    pending.Rejected = true;
                    _open.RemoveAt(i);
                }
            }
            else
            {
                _open.RemoveAt(i);
            }
        }

        var added = new Pending(path, item);
        _queue.Enqueue(added);
        _open.Add(added);
        Drain();
    }

    /// <summary>No more paths: everything held back is settled.</summary>
    public void Complete()
    {
        _open.Clear();
        Drain();
    }

    private void Drain()
    {
        while (_queue.Count > 0 && !_open.Contains(_queue.Peek()))
        {
            var next = _queue.Dequeue();
            if (next.Rejected)
            {
                _reject(next.Item);
            }
            else
            {
                _accept(next.Item);
            }
        }
    }

    private sealed class Pending(string path, T item)
    {
        public string Path { get; } = path;

        public T Item { get; } = item;

        public bool Rejected { get; set; }
    }
}
