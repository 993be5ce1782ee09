namespace OrleansMount.Storage.Import;

/// <summary>Where a running import is: objects listed so far, entries kept, bytes, ranges written.</summary>
public sealed record ImportProgress(long ObjectsListed, long Entries, long Bytes, int Ranges, long Skipped);
