namespace OrleansMount.Grains.Protocol;

/// <summary>
/// <c>GET /api/v1/snapshots/NAME/list?path=DIR&amp;id=SNAPSHOT_ID[&amp;limit=N&amp;after=CURSOR]</c>: one directory level
/// with attributes, whole or one page of it. <see cref="Next"/> is the cursor of the next page, null when the
/// listing is complete.
/// </summary>
public sealed record DirectoryListing(string SnapshotId, string Path, IReadOnlyList<ListingItem> Items, string? Next = null);
