using System.Buffers;
using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Grains.Chunks;

/// <summary>Filling a chunk from the object store: by its <see cref="ChunkGrain"/>, or by a silo whose owner could not be asked.</summary>
public static class ChunkFill
{
    /// <summary>
    /// Reads one chunk from the object store (If-Match the import's ETag) into this node's chunk store, as its owner
    /// (<see cref="ChunkOrigin.Owned"/>) or as a fallback copy when the owner could not be asked.
    /// </summary>
    public static async Task<ChunkLocation> FromObjectStoreAsync(NodeResources node, ChunkRequest request, ChunkOrigin origin, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        await Task.Yield();
        var length = request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            var data = buffer.AsMemory(0, length);
            await ReadFromObjectStoreAsync(node.Stores, request, data, CancellationToken.None).ConfigureAwait(false);
            node.Counters.ObjectStoreRead(length);
            var crc = ChunkChecksum.Compute(data.Span);
            var cached = await node.Chunks.PutAsync(request.Id, data, crc, origin, CancellationToken.None).ConfigureAwait(false);
            node.Counters.Filled(cached);
            return new ChunkLocation(cached, length, crc, ChunkTier.ObjectStore);
        }
        catch (Exception e)
        {
            node.Counters.FillFailed();
            logger.LogWarning("fill of chunk {Index} of {Address} failed: {Message}", request.Index, request.Address, e.Message);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads exactly one chunk's bytes with If-Match; a short object means it changed after import.</summary>
    public static async Task ReadFromObjectStoreAsync(ObjectStoreProvider stores, ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(request);
        var (store, key) = stores.Resolve(request.Address);
        var read = await store.ReadAsync(key, request.Offset, destination, request.ETag, cancellationToken).ConfigureAwait(false);
        if (read != destination.Length)
        {
            throw new ObjectChangedException(request.Address, request.ETag, $"(object now shorter than the {request.Size} bytes recorded)");
        }
    }
}
