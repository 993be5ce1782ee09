using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// A thread-safe in-memory object store for unit tests. The ETag is the hex MD5 of the content
/// (as S3 gives for single-part uploads); LastModified comes from the injected
/// <see cref="TimeProvider"/>. A store created with <c>bucketExists: false</c> behaves like a
/// missing bucket: every operation throws <see cref="ObjectStoreException"/>.
/// </summary>
public sealed class InMemoryObjectStore : IObjectStore
{
    private readonly SortedDictionary<string, StoredObject> _objects = new(KeyOrder.Instance);
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly bool _bucketExists;

    public InMemoryObjectStore(StoreUri? root = null, TimeProvider? timeProvider = null, bool bucketExists = true)
    {
        Root = root ?? StoreUri.S3("in-memory");
        _timeProvider = timeProvider ?? TimeProvider.System;
        _bucketExists = bucketExists;
    }

    public StoreUri Root { get; }

    /// <summary>How many objects the store holds.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        EnsureBucket();
        List<ObjectInfo> page;
        lock (_lock)
        {
            // Keys sharing a prefix are contiguous in byte order: start at the prefix and stop at
            // the first key past it.
            page = _objects
                .SkipWhile(kv => KeyOrder.CompareKeys(kv.Key, prefix) < 0)
                .TakeWhile(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(kv => kv.Value.Info)
                .ToList();
        }

        foreach (var info in page)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        EnsureBucket();
        lock (_lock)
        {
            return Task.FromResult(_objects.TryGetValue(key, out var stored) ? stored.Info : null);
        }
    }

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        EnsureBucket();
        StoredObject? stored;
        lock (_lock)
        {
            _objects.TryGetValue(key, out stored);
        }

        if (stored is null)
        {
            throw new ObjectNotFoundException(Root.AddressOf(key));
        }

        if (ifMatchETag is not null && !string.Equals(ifMatchETag, stored.Info.ETag, StringComparison.Ordinal))
        {
            throw new ObjectChangedException(Root.AddressOf(key), ifMatchETag, stored.Info.ETag);
        }

        if (offset >= stored.Data.Length)
        {
            return Task.FromResult(0);
        }

        var count = (int)Math.Min(buffer.Length, stored.Data.Length - offset);
        stored.Data.AsSpan((int)offset, count).CopyTo(buffer.Span);
        return Task.FromResult(count);
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(key);
        EnsureBucket();
        var bytes = data.ToArray();
        var info = new ObjectInfo(key, bytes.Length, Convert.ToHexStringLower(MD5.HashData(bytes)), _timeProvider.GetUtcNow());
        lock (_lock)
        {
            _objects[key] = new StoredObject(info, bytes);
        }

        return Task.CompletedTask;
    }

    public async Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localPath);
        var bytes = await File.ReadAllBytesAsync(localPath, cancellationToken).ConfigureAwait(false);
        await PutAsync(key, bytes, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
    }

    private void EnsureBucket()
    {
        if (!_bucketExists)
        {
            throw new ObjectStoreException($"bucket {Root.Bucket} does not exist: check the URI {Root}");
        }
    }

    private sealed record StoredObject(ObjectInfo Info, byte[] Data);
}
