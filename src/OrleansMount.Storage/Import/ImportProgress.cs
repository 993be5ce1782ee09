namespace OrleansMount.Storage.Import;

/// <summary>Where a running import is: objects listed so far, entries written to ranges, bytes (listed, then written), ranges written.</summary>
public sealed record ImportProgress(long ObjectsListed, long Entries, long Bytes, int Ranges, long Skipped);
