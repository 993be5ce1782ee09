using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Grains.Protocol;

/// <summary><c>GET /api/v1/stats</c>: the node's cache and traffic counters.</summary>
public sealed record SiloStats(
    string SiloId,
    long CacheUsedBytes,
    long CacheCapacityBytes,
    long Chunks,
    long RangesFetched,
    long ObjectStoreGets,
    long ObjectStoreBytes,
    long LocalHits,
    long Fills,
    long FillErrors,
    long UncachedFills,
    long CorruptionsDetected,
    long Evictions,
    int ChunkActivations,
    long PeerFetches = 0,
    long PeerBytes = 0,
    long OwnerFallbacks = 0,
    long RangesFromCatalog = 0,
    long RangesFromPeers = 0,
    long RangeBytesFromPeers = 0,
    long MembershipVersion = 0,
    PrefetchStats? Prefetch = null,
    ReadaheadStats? Readahead = null,
    long AuthRejected = 0,
    long LocalHitBytes = 0,
    long ObjectStoreRetries = 0,
    long ObjectStoreFailures = 0,
    long RangeCorruptionsDetected = 0,
    long TlsRejected = 0,
    long PeerStreamsWhileFilling = 0,
    long MountStreams = 0);
