namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// A silo's readahead counters (in <c>SiloStats.Readahead</c>), for all the node's mounts: requests
/// received, chunks accepted, already local, dropped because <see cref="MaxInFlight"/> chunks were
/// already in flight (the node-wide memory bound: each in-flight chunk holds one chunk buffer),
/// filled (and their bytes) and failed.
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
    int MaxInFlight);
