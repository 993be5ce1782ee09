using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansMount.Core;
using OrleansMount.Grains.Cluster;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The activation of one chunk, placed on its owner. Reentrant so that every concurrent caller joins the one fill in
/// flight (single-flight); the fill is not cancelled by a caller that gives up, since others may wait on it. While it
/// runs it is listed in the silo's <see cref="NodeResources.Fills"/>, where the data endpoint streams it to peers.
/// </summary>
[RendezvousPlacement, Reentrant]
public sealed class ChunkGrain(NodeResources node, ClusterView view, ILogger<ChunkGrain> logger) : OwnedGrain(view), IChunkGrain
{
    private Task<ChunkLocation>? _fill;
    private ChunkFillBuffer? _filling;

    public async Task<ChunkAnswer> EnsureAsync(ChunkRequest request)
    {
        if (Stored(request) is { } stored)
        {
            return stored;
        }

        var (fill, _) = Fill(request);
        return new ChunkAnswer(View.SiloId, await fill.ConfigureAwait(true));
    }

    public async Task<ChunkAnswer> LocateAsync(ChunkRequest request)
    {
        if (Stored(request) is { } stored)
        {
            return stored;
        }

        var (fill, buffer) = Fill(request);
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

    /// <summary>The fill in flight, or a new one.</summary>
    private (Task<ChunkLocation> Fill, ChunkFillBuffer Buffer) Fill(ChunkRequest request)
    {
        if (_fill is null || _filling is null || _fill.IsCompleted)
        {
            _filling = ChunkFill.Start(node, request, logger, out var fill);
            _fill = fill;
        }

        return (_fill, _filling);
    }
}
