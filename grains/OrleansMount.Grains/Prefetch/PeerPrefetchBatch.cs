using OrleansMount.Grains.Chunks;

namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// <see cref="Cluster.INodeGrain.PrefetchChunksAsync"/>: chunks this owner should fill for a job, in order, at most
/// <see cref="Concurrency"/> at a time; answered with one <see cref="PeerPrefetchOutcome"/> per chunk. <see cref="Routed"/>:
/// the chunks are not all this silo's own; each is made present here as a mount's read would (its grain fills it,
/// then this silo copies it): an every-node prefetch.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable, Alias("om.PeerPrefetchBatch")]
public sealed record PeerPrefetchBatch(string JobId, int Concurrency, IReadOnlyList<ChunkRequest> Chunks, bool Routed = false);
