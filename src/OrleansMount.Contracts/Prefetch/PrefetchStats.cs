namespace OrleansMount.Grains.Prefetch;

/// <summary>A silo's prefetch counters (in <c>SiloStats.Prefetch</c>): work it did as an owner, and jobs it coordinated.</summary>
public sealed record PrefetchStats(
    long ChunksFetched,
    long ChunksSkipped,
    long ChunksFailed,
    long BytesFetched,
    int ActiveBatches,
    int SlotsInUse,
    int Slots,
    long RangesIngested,
    int JobsRunning,
    long JobsStarted);
