namespace OrleansMount.Core;

/// <summary>
/// One file of a snapshot. <see cref="Path"/> is relative to the snapshot root, '/'-separated,
/// validated by <see cref="PathRules"/>. <see cref="PhysicalAddress"/> is the object's URI
/// (e.g. <c>s3://bucket/prefix/path</c>); <see cref="Identity"/> is derived from it, the ETag and
/// the size.
/// </summary>
public sealed record SnapshotEntry(
    string Path,
    long Size,
    DateTimeOffset ModifiedTime,
    string ETag,
    string PhysicalAddress,
    ObjectIdentity Identity)
{
    public static SnapshotEntry Create(string path, long size, DateTimeOffset modifiedTime, string etag, string physicalAddress) =>
        new(path, size, modifiedTime, etag, physicalAddress, ObjectIdentity.Compute(physicalAddress, etag, size));
}
