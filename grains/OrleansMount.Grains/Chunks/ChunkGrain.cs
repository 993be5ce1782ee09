using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Grains.Cluster;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The activation of one chunk, placed on its owner. Reentrant so that every concurrent caller awaits the one
/// fill in flight (single-flight); the fill is not cancelled by a caller that gives up, since others may wait on it.
/// </summary>
[RendezvousPlacement, Reentrant]
public sealed class ChunkGrain(NodeResources node, ClusterView view, ILogger<ChunkGrain> logger) : OwnedGrain(view), IChunkGrain
{
    private Task<ChunkLocation>? _fill;

    public async Task<ChunkAnswer> EnsureAsync(ChunkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (GrainKeys.Chunk(request.Id) != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"chunk {request.Id} sent to the activation of {this.GetPrimaryKeyString()}", nameof(request));
        }

        using (var handle = node.Chunks.TryOpen(request.Id, request.Address))
        {
            if (handle is not null)
            {
                return new ChunkAnswer(View.SiloId, new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local));
            }
        }

        if (_fill is null || _fill.IsCompleted)
        {
            _fill = ChunkFill.FromObjectStoreAsync(node, request, ChunkOrigin.Owned, logger);
        }

        return new ChunkAnswer(View.SiloId, await _fill.ConfigureAwait(true));
    }

    public Task RecheckOwnerAsync() => RecheckAsync();

    protected override Task RecheckThroughGrainCall(IGrainFactory factory, string key) => factory.GetGrain<IChunkGrain>(key).RecheckOwnerAsync();
}
