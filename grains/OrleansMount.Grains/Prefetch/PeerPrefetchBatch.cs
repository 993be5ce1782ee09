using OrleansMount.Grains.Chunks;

namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// <see cref="Cluster.INodeGrain.PrefetchChunksAsync"/>: chunks this owner should fill for a job, in order, at most
/// <see cref="Concurrency"/> at a time; answered with one <see cref="PeerPrefetchOutcome"/> per chunk. Each chunk is made
/// present on that silo as a mount's read would (its grain fills it on its owner, then the silo copies it if it is
/// not the owner), so the same batch serves an owner's share of a job and an every-node prefetch.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable, Alias("om.PeerPrefetchBatch")]
public sealed record PeerPrefetchBatch(string JobId, int Concurrency, IReadOnlyList<ChunkRequest> Chunks);
