using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>
/// A file handle: the entry that was opened, the chunk files it has open (the most recent
/// <paramref name="maxOpenChunks"/>: the backward retention of a sequential reader) and its
/// sequential-read detector (null when readahead is off).
/// </summary>
internal sealed class OpenFile(ListingItem item, string address, int maxOpenChunks = 4, SequentialDetector? detector = null) : IDisposable
{
    private readonly int _maxOpenChunks = Math.Max(1, maxOpenChunks);
    private readonly LinkedList<(int Index, ChunkHandle File)> _chunks = new();
    private readonly Lock _lock = new();

    public ListingItem Item { get; } = item;

    /// <summary>The object's physical address (derived from the snapshot source unless the listing gave one).</summary>
    public string Address { get; } = address;

    public SequentialDetector? Detector { get; } = detector;

    public ChunkRequest Request(int index, int chunkSize, string snapshot, string snapshotId) => new(Address, Item.ETag!, Item.Size, index, chunkSize, snapshot, snapshotId);

    public ChunkHandle? Cached(int index)
    {
        lock (_lock)
        {
            for (var node = _chunks.First; node is not null; node = node.Next)
            {
                if (node.Value.Index == index)
                {
                    return node.Value.File;
                }
            }

            return null;
        }
    }

    public void Keep(int index, ChunkHandle file)
    {
        lock (_lock)
        {
            _chunks.AddFirst((index, file));
            while (_chunks.Count > _maxOpenChunks)
            {
                var last = _chunks.Last!.Value;
                _chunks.RemoveLast();
                // A read in progress keeps the descriptor alive (SafeHandle ref count); a read that
                // starts after this gets ObjectDisposedException and reopens the chunk.
                last.File.Dispose();
            }
        }
    }

    /// <summary>Forgets and closes <paramref name="file"/> if it is still kept for chunk <paramref name="index"/> (it failed a check).</summary>
    public void Drop(int index, ChunkHandle file)
    {
        lock (_lock)
        {
            for (var node = _chunks.First; node is not null; node = node.Next)
            {
                if (node.Value.Index == index && ReferenceEquals(node.Value.File, file))
                {
                    _chunks.Remove(node);
                    file.Dispose();
                    return;
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (_, file) in _chunks)
            {
                file.Dispose();
            }

            _chunks.Clear();
        }
    }
}
