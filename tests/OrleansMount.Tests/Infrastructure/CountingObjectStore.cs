using System.Collections.Concurrent;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.Infrastructure;

/// <summary>
/// An object store that counts the reads of each key it passes on, and can hold the reads of one key until a task
/// completes, before they read or after the store answered (explicit barriers for tests that need a read to be in
/// flight while something else happens).
/// </summary>
public sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);
    private volatile Hold? _hold;

    public StoreUri Root => inner.Root;

    /// <summary>How many reads of <paramref name="key"/> reached this store.</summary>
    public int ReadsOf(string key) => _reads.GetValueOrDefault(key);

    /// <summary>Every read of <paramref name="key"/> from now on waits for <paramref name="release"/> before it reads.</summary>
    public void HoldReadsOf(string key, Task release) => _hold = new Hold(key, release, AfterAnswer: false);

    /// <summary>
    /// Every read of <paramref name="key"/> with progress from now on reads, reports that the store answered (progress
    /// 0), then waits for <paramref name="release"/> before it reports the bytes: a fill in flight with no byte arrived.
    /// </summary>
    public void HoldBytesOf(string key, Task release) => _hold = new Hold(key, release, AfterAnswer: true);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<ObjectInfo?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

    public Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, CancellationToken cancellationToken = default) =>
        ReadAsync(key, offset, buffer, ifMatchETag, null, cancellationToken);

    public async Task<int> ReadAsync(string key, long offset, Memory<byte> buffer, string? ifMatchETag, Action<int>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        _reads.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (_hold is { AfterAnswer: false } before && before.Key == key)
        {
            await before.Release.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var read = await inner.ReadAsync(key, offset, buffer, ifMatchETag, cancellationToken).ConfigureAwait(false);
        if (_hold is { AfterAnswer: true } after && after.Key == key)
        {
            progress?.Invoke(0);
            await after.Release.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        progress?.Invoke(read);
        return read;
    }

    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.PutAsync(key, data, cancellationToken);

    public Task PutFileAsync(string key, string localPath, CancellationToken cancellationToken = default) => inner.PutFileAsync(key, localPath, cancellationToken);

    public void Dispose() => inner.Dispose();

    private sealed record Hold(string Key, Task Release, bool AfterAnswer);
}
