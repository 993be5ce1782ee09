namespace OrleansMount.Grains.Prefetch;

/// <summary><see cref="Cluster.INodeGrain.IngestRangesAsync"/>: range files of a snapshot this silo should ingest.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable, Alias("om.PeerRangePrefetch")]
public sealed record PeerRangePrefetch(string JobId, string Snapshot, string SnapshotId, IReadOnlyList<string> Ranges);
