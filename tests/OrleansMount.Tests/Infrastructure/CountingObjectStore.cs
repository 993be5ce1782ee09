using System.Collections.Concurrent;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// An object store that counts the reads of each key it passes on, and can hold the reads of one key until a task
/// completes (an explicit barrier for tests that need a read to be in flight while something else happens).
/// </summary>
public sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);
    private volatile Hold? _hold;

    public StoreUri Root => inner.Root;

    /// <summary>How many reads of <paramref name="key"/> reached this store.</summary>
    public int ReadsOf(string key) => _reads.GetValueOrDefault(key);

    /// <summary>Every read of <paramref name="key"/> from now on waits for <paramref name="release"/> before it reads.</summary>
    public void HoldReadsOf(string key, Task release) => _hold = new Hold(key, release);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        _reads.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (_hold is { } hold && hold.Key == key)
        {
            await hold.Release.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return await inner.ReadAsync(key, offset, buffer, ifMatchETag, cancellationToken).ConfigureAwait(false);
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.PutAsync(key, data, cancellationToken);

    public Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default) => inner.PutFileAsync(key, localPath, cancellationToken);

    public void Dispose() => inner.Dispose();

    private sealed record Hold(string Key, Task Release);
}
