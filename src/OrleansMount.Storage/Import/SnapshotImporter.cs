using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Core;
using OrleansMount.Storage.RocksDb;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Storage.Import;

/// <summary>
/// Imports a prefix as an immutable snapshot. Streams: it lists the prefix flat, page by page,
/// holds at most one range of entries (plus the few keys a file/directory conflict holds back)
/// and uploads each finished range while listing goes on, so memory stays bounded however many
/// objects the prefix holds. Deterministic: the same unchanged prefix gives the same ranges,
/// metarange and snapshot id.
/// </summary>
public sealed class SnapshotImporter
{
    private const int UploadConcurrency = 4;
    private const int SkipWarningsLogged = 20;

    /// <summary>Objects sorted in memory at once (about 150 bytes each); more spill to sorted run files.</summary>
    private const int ListingRunSize = 200_000;
    private readonly IObjectStore _source;
    private readonly StoreUri _sourceUri;
    private readonly SnapshotCatalog _catalog;
    private readonly RangePolicy _policy;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public SnapshotImporter(IObjectStore source, StoreUri sourceUri, SnapshotCatalog catalog, ILogger? logger = null, RangePolicy? policy = null, TimeProvider? time = null)
    {
        _source = source;
        _sourceUri = sourceUri;
        _catalog = catalog;
        _policy = policy ?? RangePolicy.Default;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public async Task<ImportResult> ImportAsync(string name, bool replace, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        SnapshotCatalog.ValidateName(name);
        var stopwatch = Stopwatch.StartNew();
        if (!replace && await _catalog.TryGetSnapshotAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new OrleansMountException($"snapshot '{name}' already exists in {_catalog.Location}: pass --replace to point it at a new import, or choose another name", 5);
        }

        var work = Directory.CreateTempSubdirectory("orleansmount-import-");
        try
        {
            return await RunAsync(name, work.FullName, progress, stopwatch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private async Task<ImportResult> RunAsync(string name, string work, IProgress<ImportProgress>? progress, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var builder = new RangeBuilder(_policy, work);
        var descriptors = new List<RangeDescriptor>();
        var uploads = new List<Task<(bool Uploaded, long Bytes)>>();
        using var uploadSlots = new SemaphoreSlim(UploadConcurrency);
        var skipped = new Dictionary<string, long>(StringComparer.Ordinal);
        long listed = 0, entries = 0, bytes = 0, skippedTotal = 0;
        var sourceAddress = _sourceUri.AddressOf(_sourceUri.Prefix);
        var catalogInSource = _catalog.Location.Scheme == _sourceUri.Scheme && _catalog.Location.Bucket == _sourceUri.Bucket;
        string? lastKey = null;

        void Skip(string key, PathVerdict verdict)
        {
            var reason = verdict.ToString();
            skipped[reason] = skipped.GetValueOrDefault(reason) + 1;
            if (++skippedTotal <= SkipWarningsLogged)
            {
                _logger.LogWarning("skipped key {Key}: {Reason} (see docs/SEMANTICS.md, keys that cannot be files)", _sourceUri.AddressOf(key), Describe(verdict));
            }
        }

        void CutRange()
        {
            var (descriptor, file) = builder.Cut();
            descriptors.Add(descriptor);
            uploads.Add(UploadAsync(uploadSlots, _catalog.RangeKey(descriptor.Id), file, cancellationToken));
        }

        var filter = new PathConflictFilter<(string Key, SnapshotEntry Entry)>(
            accepted =>
            {
                var entry = accepted.Entry;
                entries++;
                bytes += entry.Size;
                if (builder.Add(entry.Path, EntryCodec.Encode(entry, sourceAddress + entry.Path, builder.Count), entry.Size))
                {
                    CutRange();
                }
            },
            rejected => Skip(rejected.Key, PathVerdict.FileShadowedByDirectory));

        // Progress counts objects as the store lists them: sorting holds entries back until the listing ends.
        long arrived = 0, arrivedBytes = 0;
        void Listed(ObjectInfo info)
        {
            arrivedBytes += info.Size;
            if (++arrived % 1000 == 0)
            {
                progress?.Report(new ImportProgress(arrived, entries, arrivedBytes, descriptors.Count, skippedTotal));
            }
        }

        var listing = SortedListing.SortAsync(_source.ListAsync(_sourceUri.Prefix, cancellationToken), work, ListingRunSize, Listed, cancellationToken);
        await foreach (var info in listing.ConfigureAwait(false))
        {
            listed++;
            if (lastKey is not null && KeyOrder.CompareKeys(lastKey, info.Key) >= 0)
            {
                throw new OrleansMountException($"the object store listed '{info.Key}' twice; the listing cannot be imported");
            }

            lastKey = info.Key;
            if (catalogInSource && info.Key.StartsWith(_catalog.Location.Prefix, StringComparison.Ordinal))
            {
                continue; // the catalog itself, when it lives under the imported prefix
            }

            var path = info.Key[_sourceUri.Prefix.Length..];
            var verdict = path.Length == 0 ? PathVerdict.DirectoryMarker : PathRules.Check(path);
            if (verdict != PathVerdict.Ok)
            {
                Skip(info.Key, verdict);
                continue;
            }

            var entry = SnapshotEntry.Create(path, info.Size, info.LastModified, info.ETag, sourceAddress + path);
            filter.Add(path, (info.Key, entry));
            if (listed % 1000 == 0)
            {
                progress?.Report(new ImportProgress(arrived, entries, bytes, descriptors.Count, skippedTotal));
            }
        }

        filter.Complete();
        if (builder.Count > 0)
        {
            CutRange();
        }

        if (listed == 0)
        {
            throw new OrleansMountException($"{_sourceUri} holds no objects: check the bucket and prefix (a prefix is matched exactly, e.g. s3://bucket/datasets/train/)", 6);
        }

        if (entries == 0)
        {
            throw new OrleansMountException($"{_sourceUri} holds {listed} objects but none can be a file ({string.Join(", ", skipped.Select(kv => $"{kv.Value} {kv.Key}"))}); nothing to import", 6);
        }

        if (skippedTotal > SkipWarningsLogged)
        {
            _logger.LogWarning("skipped {Count} keys in all ({Reasons})", skippedTotal, string.Join(", ", skipped.Select(kv => $"{kv.Key}: {kv.Value}")));
        }

        var metarange = WriteMetarange(descriptors, work, out var metarangeFile);
        uploads.Add(UploadAsync(uploadSlots, _catalog.MetarangeKey(metarange), metarangeFile, cancellationToken));
        var results = await Task.WhenAll(uploads).ConfigureAwait(false);
        progress?.Report(new ImportProgress(listed, entries, bytes, descriptors.Count, skippedTotal));

        var record = new SnapshotRecord
        {
            Name = name,
            Id = ComputeSnapshotId(metarange, sourceAddress).ToString(),
            Metarange = metarange.ToString(),
            Source = sourceAddress,
            CreatedAt = _time.GetUtcNow(),
            Entries = entries,
            Bytes = bytes,
            Ranges = descriptors.Count,
            Skipped = skipped,
        };
        await _catalog.PutSnapshotAsync(record, cancellationToken).ConfigureAwait(false);
        var catalogBytes = results.Sum(r => r.Bytes);
        _logger.LogInformation("imported {Source} as snapshot {Name} ({Id}): {Entries} entries, {Bytes} bytes, {Ranges} ranges, {CatalogBytes} catalog bytes", sourceAddress, name, record.Id, entries, bytes, descriptors.Count, catalogBytes);
        return new ImportResult(record, results.Count(r => r.Uploaded), catalogBytes, stopwatch.Elapsed);
    }

    public static SnapshotId ComputeSnapshotId(MetarangeId metarange, string sourceAddress)
    {
        var id = new byte[Hash128.Length];
        metarange.Hash.WriteTo(id);
        return new(ContentHash.Compute("snapshot v1", [(id, Encoding.UTF8.GetBytes(sourceAddress))]));
    }

    private static MetarangeId WriteMetarange(List<RangeDescriptor> descriptors, string work, out string file)
    {
        var records = descriptors.Select(d => (Key: Encoding.UTF8.GetBytes(d.FirstPath), Value: d.EncodeValue())).ToList();
        var id = new MetarangeId(ContentHash.Compute("metarange v1", records));
        file = Path.Combine(work, "metarange-" + id + ".sst");
        using var writer = SstFileWriter.Create(file);
        foreach (var (key, value) in records)
        {
            writer.Put(KeyCodec.Key(KeyCodec.MetarangeRecordKind, id.Hash, key), value);
        }

        writer.Finish();
        return id;
    }

    private async Task<(bool Uploaded, long Bytes)> UploadAsync(SemaphoreSlim slots, string key, string file, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var length = new FileInfo(file).Length;
            var uploaded = await _catalog.PutContentFileOnceAsync(key, file, cancellationToken).ConfigureAwait(false);
            File.Delete(file);
            return (uploaded, length);
        }
        finally
        {
            slots.Release();
        }
    }

    private static string Describe(PathVerdict verdict) => verdict switch
    {
        PathVerdict.DirectoryMarker => "a directory marker (directories are derived from paths)",
        PathVerdict.Empty => "an empty name",
        PathVerdict.BadSegment => "an empty, '.' or '..' path segment",
        PathVerdict.NameTooLong => "a name longer than 255 bytes",
        PathVerdict.InvalidCharacter => "a NUL character",
        PathVerdict.FileShadowedByDirectory => "it is a file and also a directory prefix of other keys; the directory is kept",
        PathVerdict.TooDeep => $"more than {PathRules.MaxSegments} path segments",
        _ => verdict.ToString(),
    };
}
