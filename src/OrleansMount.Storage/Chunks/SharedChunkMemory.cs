using System.Buffers;
using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// A pooled buffer for one chunk, shared by its writer and its readers: the creator holds the first reference, each
/// reader takes one while it reads, and the memory goes back to the pool with the last release, never while someone
/// may still read it. What a fill streamed to peers and mounts (<c>ChunkFillBuffer</c>) and a mount's stream of a chunk
/// (<c>ChunkStream</c>) keep their bytes in.
/// </summary>
/// <param name="length">The chunk's length.</param>
/// <param name="holder">What holds it, for the message of a release too many ("the fill buffer"), with <paramref name="id"/>:
/// only formatted then, not for every chunk.</param>
/// <param name="id">The chunk.</param>
public sealed class SharedChunkMemory(int length, string holder, ChunkId id)
{
    private readonly Lock _lock = new();
    private int _references = 1;

    /// <summary>At least the chunk's length; read or written only while holding a reference.</summary>
    public byte[] Buffer { get; } = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));

    /// <summary>Takes a reference so the memory stays; false once it went back to the pool.</summary>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            if (_references == 0)
            {
                return false;
            }

            _references++;
            return true;
        }
    }

    /// <summary>Drops a reference; the last one returns the memory to the pool.</summary>
    public void Release()
    {
        bool last;
        lock (_lock)
        {
            if (_references == 0)
            {
                throw new InvalidOperationException($"{holder} of chunk {id} was released more often than acquired");
            }

            last = --_references == 0;
        }

        if (last)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
