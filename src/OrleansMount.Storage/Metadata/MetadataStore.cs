using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Core;
using OrleansMount.Storage.RocksDb;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Storage.Metadata;

/// <summary>
/// A node's metadata: one RocksDB holding the ingested range and metarange SSTs of every snapshot
/// it has served (keys carry their file's id, see <see cref="KeyCodec"/>, so a range shared by two
/// snapshots is held once). A missing range is fetched from the catalog once (single-flight) and
/// ingested; after that lookups and listings are local.
/// </summary>
public sealed class MetadataStore : IDisposable
{
    private readonly RocksDatabase _db;
    private readonly SnapshotCatalog _catalog;
    private readonly string _incoming;
    private readonly ILogger _logger;
    private readonly IRangeSource _source;
    private readonly ConcurrentDictionary<Hash128, Lazy<Task>> _fetches = new();

    // Files known to be ingested (the store never drops one): every lookup and listing page asks, and a hit here
    // saves a RocksDB read of the file's marker per request. One small entry per range file this process has used.
    private readonly ConcurrentDictionary<(byte Kind, Hash128 Id), bool> _ingested = new();
    private long _rangesFetched;

    /// <summary>
    /// RocksDB's block cache for the node's metadata: 8 MiB instead of RocksDB's default 32 MiB. The range files
    /// stay in the kernel's page cache either way (a missed block costs a pread and a decode, no disk read while the
    /// files are cached), and a full walk of a large snapshot filled the default cache: +32 MiB of silo memory for
    /// every node that walked it (docs/benchmarks.md, the walk's notes).
    /// </summary>
    public const long BlockCacheBytes = 8L << 20;

    public MetadataStore(string directory, SnapshotCatalog catalog, ILogger? logger = null, IRangeSource? source = null)
    {
        Directory.CreateDirectory(directory);
        _incoming = Path.Combine(directory, "incoming");
        if (Directory.Exists(_incoming))
        {
            Directory.Delete(_incoming, recursive: true);
        }

        Directory.CreateDirectory(_incoming);
        _db = RocksDatabase.Open(Path.Combine(directory, "db"), new RocksDatabaseOptions(BlockCacheBytes: BlockCacheBytes));
        _catalog = catalog;
        _logger = logger ?? NullLogger.Instance;
        _source = source ?? new CatalogRangeSource(catalog);
    }

    public SnapshotCatalog Catalog => _catalog;

    /// <summary>Range and metarange files fetched (from the catalog or a peer) and ingested by this process.</summary>
    public long RangesFetched => Interlocked.Read(ref _rangesFetched);

    internal RocksDatabase Database => _db;

    /// <summary>Reads the snapshot record and its metarange (fetching it once if needed).</summary>
    public async Task<SnapshotView> OpenSnapshotAsync(string name, CancellationToken cancellationToken = default) =>
        await OpenSnapshotAsync(await _catalog.GetSnapshotAsync(name, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Opens a snapshot whose record was already read: reads its metarange (fetching it once if needed).</summary>
    public async Task<SnapshotView> OpenSnapshotAsync(SnapshotRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var name = record.Name;
        var metarange = MetarangeId.Parse(record.Metarange);
        await EnsureAsync(KeyCodec.MetarangeMarkerKind, new CatalogFile(CatalogFileKind.Metarange, metarange.Hash, _catalog.MetarangeKey(metarange)), cancellationToken).ConfigureAwait(false);
        var ranges = new List<RangeDescriptor>();
        var prefix = KeyCodec.Key(KeyCodec.MetarangeRecordKind, metarange.Hash, ReadOnlySpan<byte>.Empty);
        using (var iterator = _db.NewIterator())
        {
            for (iterator.Seek(prefix); iterator.Valid && iterator.Key.StartsWith(prefix); iterator.Next())
            {
                ranges.Add(RangeDescriptor.Decode(KeyCodec.SuffixString(iterator.Key), iterator.Value));
            }
        }

        if (ranges.Count != record.Ranges)
        {
            throw new OrleansMountException($"snapshot '{name}': metarange {metarange} lists {ranges.Count} ranges but the record says {record.Ranges}; the catalog is damaged, re-import the snapshot");
        }

        return new SnapshotView(this, record, ranges);
    }

    /// <summary>Makes sure a range is ingested locally, fetching it from the catalog at most once at a time.</summary>
    public Task EnsureRangeAsync(RangeId range, CancellationToken cancellationToken = default) =>
        EnsureAsync(KeyCodec.RangeMarkerKind, new CatalogFile(CatalogFileKind.Range, range.Hash, _catalog.RangeKey(range)), cancellationToken);

    public bool HasRange(RangeId range) => _db.Get(KeyCodec.Key(KeyCodec.RangeMarkerKind, range.Hash, ReadOnlySpan<byte>.Empty)) is not null;

    private Task EnsureAsync(byte markerKind, CatalogFile file, CancellationToken cancellationToken)
    {
        if (_ingested.ContainsKey((markerKind, file.Id)))
        {
            return Task.CompletedTask;
        }

        var marker = KeyCodec.Key(markerKind, file.Id, ReadOnlySpan<byte>.Empty);
        if (_db.Get(marker) is not null)
        {
            _ingested.TryAdd((markerKind, file.Id), true);
            return Task.CompletedTask;
        }

        // Not cancelled by the caller that started it: others may be waiting on the same fetch.
        var fetch = _fetches.GetOrAdd(file.Id, _ => new Lazy<Task>(() => FetchAsync(marker, file, CancellationToken.None)));
        return AwaitAndForget(file.Id, fetch).WaitAsync(cancellationToken);
    }

    private async Task AwaitAndForget(Hash128 id, Lazy<Task> fetch)
    {
        try
        {
            await fetch.Value.ConfigureAwait(false);
        }
        finally
        {
            _fetches.TryRemove(new KeyValuePair<Hash128, Lazy<Task>>(id, fetch));
        }
    }

    private async Task FetchAsync(byte[] marker, CatalogFile catalogFile, CancellationToken cancellationToken)
    {
        if (_db.Get(marker) is not null)
        {
            return;
        }

        var file = Path.Combine(_incoming, Guid.NewGuid().ToString("N") + ".sst");
        try
        {
            await _source.DownloadAsync(catalogFile, file, cancellationToken).ConfigureAwait(false);
            _db.IngestExternalFiles([file], moveFiles: true);
            _db.Put(marker, BitConverter.GetBytes(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            _ingested.TryAdd((marker[0], catalogFile.Id), true);
            Interlocked.Increment(ref _rangesFetched);
            _logger.LogDebug("ingested {File}", catalogFile);
        }
        catch (RocksDbException e)
        {
            throw new OrleansMountException($"catalog file {_catalog.Store.Root.AddressOf(catalogFile.Key)} could not be ingested ({e.Message}); it may be damaged: re-import the snapshot", 1, e);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose() => _db.Dispose();
}
