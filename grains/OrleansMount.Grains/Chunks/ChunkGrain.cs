using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansMount.Core;
using OrleansMount.Grains.Cluster;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The activation of one chunk, placed on its owner: where other silos meet the owner's fill. Reentrant; every caller
/// joins the one fill in flight on the silo (<see cref="NodeResources.Fills"/>, single-flight, also joined by the
/// owner's own reads, which ask no grain: decision 0034), where the data endpoint streams it to peers. The fill is not
/// cancelled by a caller that gives up, since others may wait on it.
/// </summary>
[RendezvousPlacement, Reentrant]
public sealed class ChunkGrain(NodeResources node, ClusterView view, ILoggerFactory loggers) : OwnedGrain(view), IChunkGrain
{
    private readonly ILogger _fillLog = loggers.CreateLogger(typeof(ChunkFill));

    public async Task<ChunkAnswer> EnsureAsync(ChunkRequest request)
    {
        var (stored, buffer) = StoredOrFill(request);
        return stored ?? new ChunkAnswer(View.SiloId, await buffer!.Fill.ConfigureAwait(true));
    }

    public async Task<ChunkAnswer> LocateAsync(ChunkRequest request)
    {
        var (stored, buffer) = StoredOrFill(request);
        if (stored is not null)
        {
            return stored;
        }

        var fill = buffer!.Fill;
        await Task.WhenAny(buffer.Started, fill).ConfigureAwait(true);
        if (fill.IsCompleted || !buffer.Started.IsCompletedSuccessfully)
        {
            // Done already, or failed before the object store answered with the object: the fill's own answer or error.
            return new ChunkAnswer(View.SiloId, await fill.ConfigureAwait(true));
        }

        return new ChunkAnswer(View.SiloId, new ChunkLocation(false, request.Length, 0, ChunkTier.ObjectStore), Filling: true);
    }

    public Task RecheckOwnerAsync() => RecheckAsync();

    protected override Task RecheckThroughGrainCall(IGrainFactory factory, string key) => factory.GetGrain<IChunkGrain>(key).RecheckOwnerAsync();

    /// <summary>
    /// The chunk's answer when it is stored here, else the fill in flight or a new one (the store asked again under the
    /// fills' lock: <see cref="ChunkFill.StartJoinOrFindStored"/>).
    /// </summary>
    private (ChunkAnswer? Stored, ChunkFillBuffer? Fill) StoredOrFill(ChunkRequest request)
    {
        if (Stored(request) is { } stored)
        {
            return (stored, null);
        }

        var (now, fill) = ChunkFill.StartJoinOrFindStored(node, request, _fillLog);
        return (now is null ? null : new ChunkAnswer(View.SiloId, now), fill);
    }

    /// <summary>The answer for a chunk already in this silo's store, or null.</summary>
    private ChunkAnswer? Stored(ChunkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (GrainKeys.Chunk(request.Id) != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"chunk {request.Id} sent to the activation of {this.GetPrimaryKeyString()}", nameof(request));
        }

        using var handle = node.Chunks.TryOpen(request.Id, request.Address);
        return handle is null ? null : new ChunkAnswer(View.SiloId, new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local));
    }
}
