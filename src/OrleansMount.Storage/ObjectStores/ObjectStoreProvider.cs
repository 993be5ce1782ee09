using System.Collections.Concurrent;
using OrleansMount.Core;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// Opens (once) the store that holds an object's physical address: <c>s3://bucket/key</c> → the
/// bucket's S3 store; <c>file:///path</c> → a file store rooted at '/'.
/// </summary>
public sealed class ObjectStoreProvider : IDisposable
{
    private readonly ConcurrentDictionary<StoreUri, Lazy<IObjectStore>> _stores = new();
    private readonly Func<StoreUri, IObjectStore> _open;

    public ObjectStoreProvider(Func<StoreUri, IObjectStore>? open = null) => _open = open ?? ObjectStoreFactory.Open;

    public (IObjectStore Store, string Key) Resolve(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        StoreUri root;
        string key;
        if (address.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = address["s3://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == rest.Length - 1)
            {
                throw new OrleansMountException($"'{address}' is not an object address (s3://BUCKET/KEY)");
            }

            root = StoreUri.S3(rest[..slash]);
            key = rest[(slash + 1)..];
        }
        else if (address.StartsWith("file:///", StringComparison.Ordinal))
        {
            root = StoreUri.File("/");
            key = address["file:///".Length..];
        }
        else
        {
            throw new OrleansMountException($"'{address}' is not an object address (s3://BUCKET/KEY or file:///PATH)");
        }

        return (_stores.GetOrAdd(root, r => new Lazy<IObjectStore>(() => _open(r))).Value, key);
    }

    public void Dispose()
    {
        foreach (var store in _stores.Values.Where(s => s.IsValueCreated))
        {
            store.Value.Dispose();
        }
    }
}
