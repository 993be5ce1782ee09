namespace OrleansMount.Grains.Protocol;

/// <summary>One child in a <see cref="DirectoryListing"/>. Files carry everything a read needs; directories only a name.</summary>
public sealed record ListingItem(string Name, bool Dir, long Size, long MtimeNs, string? ETag, string? Identity, string? Address);
