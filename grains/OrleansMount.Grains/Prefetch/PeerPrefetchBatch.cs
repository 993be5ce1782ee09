using OrleansMount.Grains.Chunks;

namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// <c>POST /api/v1/peer/prefetch/chunks</c>: chunks this owner should fill for a job, in order, at most
/// <see cref="Concurrency"/> at a time. The answer is one <see cref="PeerPrefetchOutcome"/> per line
/// (NDJSON) as each chunk finishes; closing the request cancels the rest.
/// </summary>
public sealed record PeerPrefetchBatch(string JobId, int Concurrency, IReadOnlyList<ChunkRequest> Chunks);
