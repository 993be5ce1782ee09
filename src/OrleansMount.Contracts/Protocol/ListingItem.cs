namespace OrleansMount.Grains.Protocol;

/// <summary>
/// One child in a <see cref="DirectoryListing"/>. Files carry everything a read needs; directories only a name.
/// <see cref="Ino"/> is the child's inode number in the snapshot (OrleansMount.Core.InodeNumbers): the same for
/// every silo and every mount of the snapshot; 0 only from a silo older than inode numbering.
/// </summary>
public sealed record ListingItem(string Name, bool Dir, long Size, long MtimeNs, string? ETag, string? Identity, string? Address, ulong Ino);
