namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// A silo's readahead counters (in <c>SiloStats.Readahead</c>), for all the node's mounts: requests
/// received, chunks accepted, already local, dropped because <see cref="MaxInFlight"/> chunks were
/// already in flight (the node-wide memory bound: each in-flight chunk holds one chunk buffer),
/// filled (and their bytes) and failed; and the readahead across files (<c>POST /api/v1/files/readahead</c>): requests
/// received and files covered (their first chunk accepted, already local or already coming).
/// </summary>
public sealed record ReadaheadStats(
    long Requests,
    long ChunksAccepted,
    long ChunksAlreadyLocal,
    long ChunksDropped,
    long ChunksFilled,
    long BytesFilled,
    long ChunksFailed,
    int InFlight,
    int MaxInFlight,
    long FileRequests = 0,
    long FilesCovered = 0);
