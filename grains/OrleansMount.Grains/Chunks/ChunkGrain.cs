using System.Buffers;
using Microsoft.Extensions.Logging;
using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The activation of one chunk on its owner. Turn-based in the one way that matters: at most one
/// fill is in flight; every concurrent caller awaits that same fill (single-flight). The fill is
/// not cancelled by a caller that gives up, since others may be waiting on it.
/// </summary>
public sealed class ChunkGrain : IChunkGrain
{
    private readonly ChunkId _id;
    private readonly ChunkStore _chunks;
    private readonly ObjectStoreProvider _stores;
    private readonly NodeCounters _counters;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Task<ChunkLocation>? _fill;

    public ChunkGrain(ChunkId id, ChunkStore chunks, ObjectStoreProvider stores, NodeCounters counters, ILogger logger)
    {
        _id = id;
        _chunks = chunks;
        _stores = stores;
        _counters = counters;
        _logger = logger;
    }

    public bool IsBusy => _fill is { IsCompleted: false };

    public Task<ChunkLocation> EnsureAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Id != _id)
        {
            throw new ArgumentException($"chunk {request.Id} sent to the activation of {_id}", nameof(request));
        }

        using (var handle = _chunks.TryOpen(_id, request.Address))
        {
            if (handle is not null)
            {
                _counters.LocalHit(handle.Length);
                return Task.FromResult(new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local));
            }
        }

        Task<ChunkLocation> fill;
        lock (_lock)
        {
            if (_fill is null || _fill.IsCompleted)
            {
                _fill = FillAsync(request);
            }

            fill = _fill;
        }

        return fill.WaitAsync(cancellationToken);
    }

    private async Task<ChunkLocation> FillAsync(ChunkRequest request)
    {
        await Task.Yield();
        var length = request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await ReadFromObjectStoreAsync(_stores, request, buffer.AsMemory(0, length), CancellationToken.None).ConfigureAwait(false);
            _counters.ObjectStoreRead(length);
            var data = buffer.AsMemory(0, length);
            var crc = ChunkChecksum.Compute(data.Span);
            var cached = await _chunks.PutAsync(_id, data, crc, ChunkOrigin.Owned, CancellationToken.None).ConfigureAwait(false);
            _counters.Filled(cached);
            return new ChunkLocation(cached, length, crc, ChunkTier.ObjectStore);
        }
        catch (Exception e)
        {
            _counters.FillFailed();
            _logger.LogWarning("fill of chunk {Index} of {Address} failed: {Message}", request.Index, request.Address, e.Message);
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
