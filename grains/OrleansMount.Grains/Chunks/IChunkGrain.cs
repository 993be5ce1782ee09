namespace OrleansMount.Grains.Chunks;

/// <summary>
/// One chunk of one object, keyed by (identity, index), activated on its owner. Fills the chunk
/// from the object store at most once however many callers ask at the same moment.
/// </summary>
public interface IChunkGrain
{
    /// <summary>Makes the chunk present in the owner's chunk store. Throws <c>ObjectChangedException</c> if the object's ETag changed.</summary>
    Task<ChunkLocation> EnsureAsync(ChunkRequest request, CancellationToken cancellationToken);
}
