namespace OrleansMount.Grains.Protocol;

/// <summary><c>GET /api/v1/snapshots/NAME/list?path=DIR&amp;id=SNAPSHOT_ID</c>: one directory level with attributes.</summary>
public sealed record DirectoryListing(string SnapshotId, string Path, IReadOnlyList<ListingItem> Items);
