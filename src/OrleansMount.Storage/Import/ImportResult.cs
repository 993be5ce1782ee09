using OrleansMount.Storage.Catalog;

namespace OrleansMount.Storage.Import;

/// <summary>What an import produced: the snapshot record, and how many range files were new to the catalog.</summary>
public sealed record ImportResult(SnapshotRecord Snapshot, int RangesUploaded, long CatalogBytes, TimeSpan Elapsed);
