using OrleansMount.Storage.Catalog;

namespace OrleansMount.Storage.Import;

/// <summary>What an import produced: the snapshot record, and how many range files were new to the catalog.</summary>
/// <param name="RangesUploaded">catalog files (ranges and the metarange) that were new and uploaded; equal ones already there are not rewritten</param>
public sealed record ImportResult(SnapshotRecord Snapshot, int RangesUploaded, long CatalogBytes, TimeSpan Elapsed);
