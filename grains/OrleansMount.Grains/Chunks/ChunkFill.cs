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
    /// Reads one chunk from the object store (If-Match the import's ETag) into this node's chunk store, as a fallback
    /// copy when the owner could not be asked (or as its owner, <see cref="ChunkOrigin.Owned"/>), not visible to peers.
    /// </summary>
    public static Task<ChunkLocation> FromObjectStoreAsync(NodeResources node, ChunkRequest request, ChunkOrigin origin, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new ChunkFillBuffer(request.Id, request.Length);
        return buffer.Fill = FillAsync(node, request, origin, buffer, listed: false, logger);
    }

    /// <summary>
    /// The owner's fill of one chunk (<see cref="ChunkOrigin.Owned"/>): the one in flight on this silo, or a new one,
    /// listed in the node's <see cref="NodeResources.Fills"/> while it runs so peers can stream its bytes as they
    /// arrive. Its <see cref="ChunkFillBuffer.Fill"/> says where the chunk is once stored.
    /// </summary>
    public static ChunkFillBuffer StartOrJoin(NodeResources node, ChunkRequest request, ILogger logger) =>
        StartOrJoin(node, request, logger, unlessStored: false)!;

    /// <summary>
    /// <see cref="StartOrJoin(NodeResources, ChunkRequest, ILogger)"/>, or null when the chunk is in the chunk store
    /// (asked under the fills' lock: a fill that stored the chunk just now is not started again, as it could be
    /// between a caller's own check of the store and its start).
    /// </summary>
    public static ChunkFillBuffer? StartOrJoinUnlessStored(NodeResources node, ChunkRequest request, ILogger logger) =>
        StartOrJoin(node, request, logger, unlessStored: true);

    /// <summary>
    /// For a caller that found the chunk not stored: the fill in flight or a new one, unless a fill stored the chunk since
    /// the caller looked (<see cref="StartOrJoinUnlessStored"/>); then where the stored copy is, or a new fill after all
    /// when that copy cannot be opened (damaged or evicted since).
    /// </summary>
    public static (ChunkLocation? Stored, ChunkFillBuffer? Fill) StartJoinOrFindStored(NodeResources node, ChunkRequest request, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (StartOrJoinUnlessStored(node, request, logger) is { } fill)
        {
            return (null, fill);
        }

        using var handle = node.Chunks.TryOpen(request.Id, request.Address);
        return handle is not null
            ? (new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local), null)
            : (null, StartOrJoin(node, request, logger));
    }

    private static ChunkFillBuffer? StartOrJoin(NodeResources node, ChunkRequest request, ILogger logger, bool unlessStored)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(request);
        return node.Fills.FindOrStart(
            request.Id,
            () =>
            {
                var buffer = new ChunkFillBuffer(request.Id, request.Length);
                buffer.Fill = FillAsync(node, request, ChunkOrigin.Owned, buffer, listed: true, logger);
                return buffer;
            },
            unlessStored ? () => node.Chunks.Contains(request.Id) : null);
    }

    private static async Task<ChunkLocation> FillAsync(NodeResources node, ChunkRequest request, ChunkOrigin origin, ChunkFillBuffer fill, bool listed, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(node);
        await Task.Yield();
        var length = request.Length;
        try
        {
            var data = fill.Destination;
            await ReadFromObjectStoreAsync(node.Stores, request, data, fill.Advance, CancellationToken.None).ConfigureAwait(false);
            node.Counters.ObjectStoreRead(length);
            var crc = fill.Complete(); // readers streaming the fill have every byte now, before the disk write
            var cached = await node.Chunks.PutAsync(request.Id, data, crc, origin, CancellationToken.None, fill.BlockCrcs).ConfigureAwait(false);
            node.Counters.Filled(cached);
            fill.Finish(cached);
            return new ChunkLocation(cached, length, crc, ChunkTier.ObjectStore);
        }
        catch (Exception e)
        {
            fill.Fail(e);
            node.Counters.FillFailed();
            logger.LogWarning("fill of chunk {Index} of {Address} failed: {Message}", request.Index, request.Address, e.Message);
            throw;
        }
        finally
        {
            if (listed)
            {
                node.Fills.Remove(fill);
            }

            fill.Release();
        }
    }

    /// <summary>Reads exactly one chunk's bytes with If-Match; a short object means it changed after import.</summary>
    public static Task ReadFromObjectStoreAsync(ObjectStoreProvider stores, ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken) =>
        ReadFromObjectStoreAsync(stores, request, destination, null, cancellationToken);

    /// <summary>
    /// <see cref="ReadFromObjectStoreAsync(ObjectStoreProvider, ChunkRequest, Memory{byte}, CancellationToken)"/> reporting
    /// how many bytes at the start of <paramref name="destination"/> arrived (<see cref="IObjectStore.ReadAsync(string, long, Memory{byte}, string?, Action{int}?, CancellationToken)"/>).
    /// </summary>
    public static async Task ReadFromObjectStoreAsync(ObjectStoreProvider stores, ChunkRequest request, Memory<byte> destination, Action<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stores);
        ArgumentNullException.ThrowIfNull(request);
        var (store, key) = stores.Resolve(request.Address);
        var read = await store.ReadAsync(key, request.Offset, destination, request.ETag, progress, cancellationToken).ConfigureAwait(false);
        if (read != destination.Length)
        {
            throw new ObjectChangedException(request.Address, request.ETag, $"(object now shorter than the {request.Size} bytes recorded)");
        }
    }
}
