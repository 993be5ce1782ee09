namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// An S3-compatible bucket or a local directory. Keys are '/'-separated and relative to the
/// bucket (S3) or the root directory (file). Implementations: <c>S3ObjectStore</c>,
/// <c>FileObjectStore</c>, and <c>InMemoryObjectStore</c> for unit tests; one conformance suite
/// runs against all three.
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>The bucket root this store reads, e.g. <c>s3://bucket/</c> or <c>file:///data/</c>.</summary>
    StoreUri Root { get; }

    /// <summary>
    /// Every object whose key starts with <paramref name="prefix"/>, flat (no delimiter), fetched
    /// page by page, in the store's listing order: ascending UTF-8 bytes for S3, the file and the
    /// in-memory store, but not always for S3 look-alikes (s3rver), so consumers that need order sort.
    /// Throws <see cref="ObjectStoreException"/> when the bucket does not exist or access is denied.
    /// </summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>The object's metadata, or null when there is no such key.</summary>
    Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; returns how many were
    /// read (fewer only at the end of the object, 0 at or past it). When <paramref name="ifMatchETag"/>
    /// is given and the object's ETag differs, throws <see cref="ObjectChangedException"/> and
    /// returns no bytes. A missing key throws <see cref="ObjectNotFoundException"/>.
    /// </summary>
    Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ReadAsync(string, long, Memory{byte}, string?, CancellationToken)"/> that says how far it got while it
    /// reads, so the bytes can be passed on before the read ends (a chunk streamed to a peer while its owner fills it).
    /// <paramref name="progress"/> is called with how many bytes at the start of <paramref name="buffer"/> now hold the
    /// object's bytes: with 0 once the store has answered and the ETag was checked, then as bytes arrive. A retried
    /// attempt starts again from 0 and writes the same bytes again (If-Match holds every attempt to the same object).
    /// Stores that cannot tell report once, at the end.
    /// </summary>
    async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, Action<int>? progress, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync(key, offset, buffer, ifMatchETag, cancellationToken).ConfigureAwait(false);
        progress?.Invoke(read);
        return read;
    }

    /// <summary>Writes (or replaces) an object with the given bytes.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Writes (or replaces) an object with a local file's content.</summary>
    Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default);
}
