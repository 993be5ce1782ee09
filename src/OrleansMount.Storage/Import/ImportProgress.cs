namespace OrleansMount.Storage.Import;

/// <summary>
/// Where a running import is: objects listed so far; then, while the sorted listing is written,
/// entries written to ranges, their bytes (listed bytes while listing), ranges written and keys skipped.
/// </summary>
public sealed record ImportProgress(long ObjectsListed, long Entries, long Bytes, int Ranges, long Skipped, ImportPhase Phase = ImportPhase.Writing);
