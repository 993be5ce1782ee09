using Orleans.Concurrency;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// One chunk of one object, keyed by (identity, index) (<see cref="Cluster.GrainKeys.Chunk"/>), activated on its
/// owner: one activation in the cluster, so one fill per chunk cluster-wide however many silos ask at once.
/// </summary>
[Alias("om.IChunkGrain")]
public interface IChunkGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes the chunk present in the chunk store of the activation's silo and says which silo that is: callers on
    /// other silos copy the bytes from its data endpoint, not inside Orleans messages. Throws
    /// <c>ObjectChangedException</c> if the object's ETag changed after import.
    /// </summary>
    [Alias("ensure")]
    Task<ChunkAnswer> EnsureAsync(ChunkRequest request);

    /// <summary>
    /// Says which silo to copy the chunk from, without waiting for a whole fill: the chunk is in that silo's store, or
    /// it is being filled there from the object store (<see cref="ChunkAnswer.Filling"/>: the fill started and the store
    /// answered with the right object) and its data endpoint streams the bytes as they arrive. Starts the fill if none
    /// runs. Throws <c>ObjectChangedException</c> if the object's ETag changed after import.
    /// </summary>
    [Alias("locate")]
    Task<ChunkAnswer> LocateAsync(ChunkRequest request);

    /// <summary>Moves the activation to the key's owner if that is another silo now.</summary>
    [Alias("recheck"), OneWay]
    Task RecheckOwnerAsync();
}

/// <summary>
/// Where a chunk is: the silo holding it (<paramref name="SiloId"/>), and its length, CRC32C and where it came from; or,
/// with <paramref name="Filling"/>, the silo filling it now (its CRC32C is not known yet).
/// </summary>
[GenerateSerializer, Immutable, Alias("om.ChunkAnswer")]
public sealed record ChunkAnswer([property: Id(0)] string SiloId, [property: Id(1)] ChunkLocation Location, [property: Id(2)] bool Filling = false);
