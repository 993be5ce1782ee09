using System.Text.Json;
using OrleansMount.Core;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Storage.Catalog;

/// <summary>
/// Snapshot metadata shared by the cluster, under a catalog URI (default <c>s3://BUCKET/.orleansmount/</c>):
/// <code>
/// snapshots/NAME.json        SnapshotRecord (replaced on re-import with --replace)
/// metaranges/ID.sst          metarange SST (content-addressed, written once)
/// ranges/ID.sst              range SST (content-addressed, written once)
/// </code>
/// </summary>
public sealed class SnapshotCatalog : IDisposable
{
    public const string DefaultDirectoryName = ".orleansmount";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
    private readonly IObjectStore _store;
    private readonly bool _ownsStore;

    public SnapshotCatalog(IObjectStore store, StoreUri location, bool ownsStore = false)
    {
        _store = store;
        Location = location;
        _ownsStore = ownsStore;
    }

    public StoreUri Location { get; }

    public IObjectStore Store => _store;

    /// <summary>The catalog a source defaults to: <c>.orleansmount/</c> at the root of its bucket or directory.</summary>
    public static StoreUri DefaultFor(StoreUri source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.IsS3 ? StoreUri.S3(source.Bucket, DefaultDirectoryName) : StoreUri.File(source.Bucket, DefaultDirectoryName);
    }

    public static SnapshotCatalog Open(StoreUri location) => new(ObjectStoreFactory.Open(location), location, ownsStore: true);

    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 128 || name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new OrleansMountException($"invalid snapshot name '{name}': use 1-128 characters of letters, digits, '-', '_' and '.', not starting with '.'", 2);
        }
    }

    public async Task<SnapshotRecord?> TryGetSnapshotAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name);
        var key = SnapshotKey(name);
        var info = await _store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            return null;
        }

        var buffer = new byte[info.Size];
        var read = await _store.ReadAsync(key, 0, buffer, null, cancellationToken).ConfigureAwait(false);
        var record = JsonSerializer.Deserialize<SnapshotRecord>(buffer.AsSpan(0, read), JsonOptions)
            ?? throw new OrleansMountException($"snapshot record {_store.Root.AddressOf(key)} is empty");
        if (record.Format != SnapshotRecord.CurrentFormat)
        {
            throw new OrleansMountException($"snapshot '{name}' has catalog format {record.Format}; this version reads format {SnapshotRecord.CurrentFormat}: upgrade orleansmount or re-import");
        }

        return record;
    }

    public async Task<SnapshotRecord> GetSnapshotAsync(string name, CancellationToken cancellationToken = default) =>
        await TryGetSnapshotAsync(name, cancellationToken).ConfigureAwait(false) ?? throw UnknownSnapshot(name);

    /// <summary>The error for a name the catalog has no record of (exit code 4).</summary>
    public OrleansMountException UnknownSnapshot(string name) =>
        new($"unknown snapshot '{name}' in catalog {Location}: run 'orleansmount snapshots --catalog {Location}' to list them, or import it first", 4);

    public Task PutSnapshotAsync(SnapshotRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _store.PutAsync(SnapshotKey(record.Name), JsonSerializer.SerializeToUtf8Bytes(record, JsonOptions), cancellationToken);
    }

    public async IAsyncEnumerable<SnapshotRecord> ListSnapshotsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = Location.Prefix + "snapshots/";
        await foreach (var info in _store.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (!info.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            var name = info.Key[prefix.Length..^".json".Length];
            var record = await TryGetSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
            if (record is not null)
            {
                yield return record;
            }
        }
    }

    public string RangeKey(RangeId id) => $"{Location.Prefix}ranges/{id}.sst";

    public string MetarangeKey(MetarangeId id) => $"{Location.Prefix}metaranges/{id}.sst";

    public string SnapshotKey(string name) => $"{Location.Prefix}snapshots/{name}.json";

    /// <summary>Writes a content-addressed file unless it is already there (it would be identical).</summary>
    public async Task<bool> PutContentFileOnceAsync(string key, string localPath, CancellationToken cancellationToken = default)
    {
        if (await _store.HeadAsync(key, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        await _store.PutFileAsync(key, localPath, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Downloads a catalog file to a local path (via a temp file and rename).</summary>
    public async Task DownloadAsync(string key, string localPath, CancellationToken cancellationToken = default)
    {
        var info = await _store.HeadAsync(key, cancellationToken).ConfigureAwait(false)
            ?? throw new OrleansMountException($"catalog file {_store.Root.AddressOf(key)} is missing: the catalog is incomplete; re-import the snapshot");
        var temp = localPath + ".tmp-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        var buffer = new byte[Math.Min(info.Size, 4 * 1024 * 1024)];
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            long offset = 0;
            while (offset < info.Size)
            {
                var read = await _store.ReadAsync(key, offset, buffer, info.ETag, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new OrleansMountException($"catalog file {_store.Root.AddressOf(key)} ended at {offset} of {info.Size} bytes");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                offset += read;
            }
        }

        File.Move(temp, localPath, overwrite: true);
    }

    public void Dispose()
    {
        if (_ownsStore)
        {
            _store.Dispose();
        }
    }
}
