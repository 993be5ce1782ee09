using OrleansMount.Grains.Chunks;

namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// <c>POST /api/v1/peer/prefetch/chunks</c>: chunks this owner should fill for a job, in order, at most
/// <see cref="Concurrency"/> at a time. The answer is one <see cref="PeerPrefetchOutcome"/> per line
/// (NDJSON) as each chunk finishes; closing the request cancels the rest. <see cref="Routed"/>: the chunks are
/// not all this silo's own; each is made present here as a mount's read would (its owner fills it, or this
/// silo copies it from the owner): an every-node prefetch.
/// </summary>
public sealed record PeerPrefetchBatch(string JobId, int Concurrency, IReadOnlyList<ChunkRequest> Chunks, bool Routed = false);
