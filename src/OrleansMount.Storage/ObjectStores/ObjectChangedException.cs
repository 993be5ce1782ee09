namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// The object's ETag is not the one recorded at import: it changed in the bucket after the
/// snapshot was taken. Never serve its bytes; re-import the dataset to see the new content.
/// </summary>
public sealed class ObjectChangedException : ObjectStoreException
{
    public ObjectChangedException(string address, string expectedETag, string? actualETag)
        : base($"object {address} changed after import (snapshot ETag {expectedETag}, now {actualETag ?? "unknown"}); re-import the snapshot to read its new content")
    {
        Address = address;
        ExpectedETag = expectedETag;
        ActualETag = actualETag;
    }

    public string Address { get; }

    public string ExpectedETag { get; }

    public string? ActualETag { get; }
}
