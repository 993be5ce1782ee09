namespace OrleansMount.Grains.Prefetch;

/// <summary><c>POST /api/v1/peer/prefetch/ranges</c>: range files of a snapshot this silo should ingest.</summary>
public sealed record PeerRangePrefetch(string JobId, string Snapshot, string SnapshotId, IReadOnlyList<string> Ranges);
