using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Ranges;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Grains;

/// <summary>What this silo's grains work with: its chunk store, the object stores, the catalog, the range directory, its counters and its fills in flight.</summary>
public sealed record NodeResources(ChunkStore Chunks, ObjectStoreProvider Stores, SnapshotCatalog Catalog, string RangeDirectory, NodeCounters Counters)
{
    /// <summary>The range files this silo keeps for its peers, one instance per file (its grain and the peer endpoint share it).</summary>
    public RangeFiles RangeFiles { get; } = new(Catalog, RangeDirectory, Counters);

    /// <summary>The chunk fills from the object store in flight on this silo, which peers may stream from.</summary>
    public ChunkFills Fills { get; } = new();
}
