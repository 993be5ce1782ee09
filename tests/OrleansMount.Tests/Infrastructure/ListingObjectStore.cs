using System.Runtime.CompilerServices;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// A source that lists exactly the objects it was given, in the given order (unsorted, with
/// duplicates if asked), as a misbehaving S3 look-alike might; <see cref="OnListed"/> runs after each
/// object is handed out (to observe or fail the import mid-listing). Lists only: nothing is read or written.
/// </summary>
internal sealed class ListingObjectStore(StoreUri root, IReadOnlyList<ObjectInfo> objects) : IObjectStore
{
    public StoreUri Root { get; } = root;

    /// <summary>Called with the number of objects listed so far, after each one.</summary>
    public Action<int>? OnListed { get; init; }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var listed = 0;
        foreach (var info in objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
            OnListed?.Invoke(++listed);
        }

        await Task.CompletedTask;
    }

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}
