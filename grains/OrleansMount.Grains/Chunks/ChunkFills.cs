using System.Collections.Concurrent;
using OrleansMount.Core;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The owner's chunk fills from the object store in flight on this silo, by chunk: one per chunk, joined by every
/// caller (the chunk's <see cref="ChunkGrain"/> for other silos, and this silo's own reads of the chunks it owns,
/// which ask no grain: decision 0034), and where the data endpoint finds a chunk to stream to a peer while the fill
/// runs. A fill is listed from its start until the chunk is in the chunk store (or the fill failed).
/// </summary>
public sealed class ChunkFills
{
    private readonly ConcurrentDictionary<ChunkId, ChunkFillBuffer> _fills = new();
    private readonly Lock _lock = new();

    /// <summary>Fills in flight now.</summary>
    public int Count => _fills.Count;

    /// <summary>The fill of <paramref name="id"/> in flight, or null.</summary>
    public ChunkFillBuffer? Find(ChunkId id) => _fills.TryGetValue(id, out var fill) ? fill : null;

    /// <summary>The fill of <paramref name="id"/> in flight with a reference taken (release it), or null.</summary>
    public ChunkFillBuffer? TryAcquire(ChunkId id) => _fills.TryGetValue(id, out var fill) && fill.TryAcquire() ? fill : null;

    /// <summary>
    /// The fill of <paramref name="id"/> in flight, or the one <paramref name="start"/> starts now, listed before it can
    /// end (<see cref="Remove"/> waits for the lock taken here), so no fill stays listed after its end. Null, starting
    /// nothing, when <paramref name="stored"/> says the chunk is stored: asked under that lock, and a fill stores its
    /// chunk before it leaves the list, so a fill that ended just now is seen as stored, never started again.
    /// </summary>
    internal ChunkFillBuffer? FindOrStart(ChunkId id, Func<ChunkFillBuffer> start, Func<bool>? stored = null)
    {
        if (_fills.TryGetValue(id, out var fill))
        {
            return fill;
        }

        lock (_lock)
        {
            if (!_fills.TryGetValue(id, out fill))
            {
                if (stored?.Invoke() == true)
                {
                    return null;
                }

                fill = start();
                _fills[id] = fill;
            }

            return fill;
        }
    }

    internal void Remove(ChunkFillBuffer fill)
    {
        lock (_lock)
        {
            _fills.TryRemove(new KeyValuePair<ChunkId, ChunkFillBuffer>(fill.Id, fill));
        }
    }
}
