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

    /// <summary>Moves the activation to the key's owner if that is another silo now.</summary>
    [Alias("recheck"), OneWay]
    Task RecheckOwnerAsync();
}

/// <summary>Where a chunk is: the silo holding it (<paramref name="SiloId"/>), and its length, CRC32C and where it came from.</summary>
[GenerateSerializer, Immutable, Alias("om.ChunkAnswer")]
public sealed record ChunkAnswer([property: Id(0)] string SiloId, [property: Id(1)] ChunkLocation Location);
