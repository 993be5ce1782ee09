using System.Collections.Concurrent;
using OrleansMount.Core;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The chunk fills from the object store in flight on this silo (its <see cref="ChunkGrain"/>s'), by chunk: where its
/// data endpoint finds a chunk to stream to a peer while the fill runs. A fill is listed from its start until the
/// chunk is in the chunk store (or the fill failed).
/// </summary>
public sealed class ChunkFills
{
    private readonly ConcurrentDictionary<ChunkId, ChunkFillBuffer> _fills = new();

    /// <summary>Fills in flight now.</summary>
    public int Count => _fills.Count;

    /// <summary>The fill of <paramref name="id"/> in flight, or null.</summary>
    public ChunkFillBuffer? Find(ChunkId id) => _fills.TryGetValue(id, out var fill) ? fill : null;

    /// <summary>The fill of <paramref name="id"/> in flight with a reference taken (release it), or null.</summary>
    public ChunkFillBuffer? TryAcquire(ChunkId id) => _fills.TryGetValue(id, out var fill) && fill.TryAcquire() ? fill : null;

    internal void Add(ChunkFillBuffer fill) => _fills[fill.Id] = fill;

    internal void Remove(ChunkFillBuffer fill) => _fills.TryRemove(new KeyValuePair<ChunkId, ChunkFillBuffer>(fill.Id, fill));
}
