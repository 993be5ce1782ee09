namespace OrleansMount.Storage.ObjectStores;

/// <summary>Opens the object store a <see cref="StoreUri"/> names.</summary>
public static class ObjectStoreFactory
{
    /// <summary>An <see cref="S3ObjectStore"/> configured from the AWS environment for <c>s3://</c>, a <see cref="FileObjectStore"/> for <c>file://</c>.</summary>
    public static IObjectStore Open(StoreUri root) => Open(root, null);

    /// <summary>As <see cref="Open(StoreUri)"/>, with explicit S3 settings (ignored for <c>file://</c>).</summary>
    public static IObjectStore Open(StoreUri root, S3ObjectStoreOptions? s3Options)
    {
        ArgumentNullException.ThrowIfNull(root);
        return root.Scheme switch
        {
            "s3" => new S3ObjectStore(root, s3Options),
            "file" => new FileObjectStore(root),
            _ => throw new ObjectStoreException($"unsupported object store scheme '{root.Scheme}' in {root}: expected s3:// or file://"),
        };
    }
}
