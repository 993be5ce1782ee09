namespace OrleansMount.Storage.ObjectStores;

/// <summary>One object as a listing or HEAD reports it. <see cref="Key"/> is relative to the store's bucket root.</summary>
public sealed record ObjectInfo(string Key, long Size, string ETag, DateTimeOffset LastModified);
