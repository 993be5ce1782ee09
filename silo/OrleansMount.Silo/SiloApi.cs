using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Silo;

/// <summary>The wire views of a silo's state, shared by <c>/api/v1/info</c>, <c>/stats</c>, <c>/members</c>, <c>/node</c> and <c>/cluster</c>.</summary>
public static class SiloApi
{
    /// <summary>The silo's software version (its assembly version).</summary>
    public static string Version { get; } = typeof(SiloNode).Assembly.GetName().Version?.ToString() ?? "0";

    public static SiloInfo Info(SiloNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new SiloInfo(
            node.SiloId,
            Version,
            Path.GetFullPath(node.Options.CacheDirectory),
            node.Options.ChunkSize,
            node.Catalog.Location.ToString(),
            node.Options.Listen,
            node.Options.SocketPath,
            node.StartedAt);
    }

    public static SiloStats Stats(SiloNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return new SiloStats(
            node.SiloId,
            node.Chunks.UsedBytes,
            node.Chunks.CapacityBytes,
            node.Chunks.ChunkCount,
            node.Metadata.RangesFetched,
            node.Counters.ObjectStoreGets,
            node.Counters.ObjectStoreBytes,
            node.Counters.LocalHits,
            node.Counters.Fills,
            node.Counters.FillErrors,
            node.Counters.UncachedFills,
            node.Chunks.CorruptionsDetected,
            node.Chunks.Evictions,
            (int)node.ActivationsOf("ChunkGrain").Current,
            node.Counters.PeerFetches,
            node.Counters.PeerBytes,
            node.Counters.OwnerFallbacks,
            node.Counters.RangesFromCatalog,
            node.Counters.RangesFromPeers,
            node.Counters.RangeBytesFromPeers,
            node.ViewVersion,
            node.Prefetch.Stats(),
            node.Readahead.Stats(),
            node.Counters.AuthRejections,
            node.Counters.LocalHitBytes,
            node.StoreCounters.Retries,
            node.StoreCounters.Failures,
            node.Counters.RangeCorruptions,
            node.Counters.TlsRejections,
            node.Counters.PeerStreamsWhileFilling,
            node.Counters.MountStreams);
    }

    public static SiloMember Member(SiloEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new SiloMember(entry.SiloId, entry.Address.ToString().TrimEnd('/'), entry.Status.ToString(), entry.CapacityBytes, entry.StartedAt, entry.HeartbeatAt, entry.Version);
    }
}
