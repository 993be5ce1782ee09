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
/// Imports a prefix as an immutable snapshot, with memory that does not grow with the number of
/// objects (docs/decisions/0022-import-external-sort.md): the listing is encoded compactly and
/// sorted by an <see cref="ExternalSorter"/> (runs spilled to the work directory when it exceeds
/// <see cref="SortMemoryBytes"/>: S3 lists in UTF-8 byte order, look-alikes such as s3rver do not),
/// together with a record for every directory a key lies under; the merged stream settles
/// file/directory conflicts, duplicates and skipped keys one record at a time and feeds ranges
/// (at most one in memory, a few being uploaded). Deterministic: the same unchanged prefix gives
/// the same ranges, metarange and snapshot id, whatever the memory budget.
/// </summary>
public sealed class SnapshotImporter
{
    /// <summary>The default for <see cref="SortMemoryBytes"/>.</summary>
    public const long DefaultSortMemoryBytes = 64L * 1024 * 1024;

    /// <summary>The work directory's name starts with this; a left-over one (its import was killed) is removed by the next import.</summary>
    public const string WorkDirectoryPrefix = "orleansmount-import-";

    private const int UploadConcurrency = 4;
    private const int SkipWarningsLogged = 20;
    private const int ProgressEvery = 1000;

    /// <summary>Directories remembered to avoid repeating their records; forgotten all at once beyond this.</summary>
    private const int DirectoriesRemembered = 65_536;

    private const string LockFileName = "lock";

    private readonly IObjectStore _source;
    private readonly StoreUri _sourceUri;
    private readonly SnapshotCatalog _catalog;
    private readonly RangePolicy _policy;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _workRoot;

    /// <param name="workDirectory">where the import's temporary directory (sorted runs, range files before upload) is made; default the system temp directory</param>
    public SnapshotImporter(IObjectStore source, StoreUri sourceUri, SnapshotCatalog catalog, ILogger? logger = null, RangePolicy? policy = null, TimeProvider? time = null, string? workDirectory = null)
    {
        _source = source;
        _sourceUri = sourceUri;
        _catalog = catalog;
        _policy = policy ?? RangePolicy.Default;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _workRoot = workDirectory ?? Path.GetTempPath();
    }

    /// <summary>Memory for sorting the listing (about 60-100 bytes per object); beyond it, sorted runs are spilled to the work directory.</summary>
    public long SortMemoryBytes { get; init; } = DefaultSortMemoryBytes;

    /// <summary>The sorter's arena chunk size: tests make it tiny, with <see cref="SortMemoryBytes"/>, to force many runs.</summary>
    internal int SortChunkBytes { get; init; } = 1024 * 1024;

    public async Task<ImportResult> ImportAsync(string name, bool replace, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        SnapshotCatalog.ValidateName(name);
        var stopwatch = Stopwatch.StartNew();
        if (!replace && await _catalog.TryGetSnapshotAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new OrleansMountException($"snapshot '{name}' already exists in {_catalog.Location}: pass --replace to point it at a new import, or choose another name", 5);
        }

        RemoveAbandonedWorkDirectories();
        var work = CreateWorkDirectory(out var workLock);
        try
        {
            return await RunAsync(name, work, progress, stopwatch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            workLock.Dispose();
            DeleteWorkDirectory(work);
        }
    }

    private async Task<ImportResult> RunAsync(string name, string work, IProgress<ImportProgress>? progress, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        using var sorter = new ExternalSorter(Path.Combine(work, "runs"), SortMemoryBytes, SortChunkBytes);
        var catalogInSource = _catalog.Location.Scheme == _sourceUri.Scheme && _catalog.Location.Bucket == _sourceUri.Bucket;

        // 1. List: every object becomes one compact record; paths are checked here, files and skipped keys alike are sorted.
        long listed = 0, listedBytes = 0;
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var seen = directories.GetAlternateLookup<ReadOnlySpan<char>>();
        await foreach (var info in _source.ListAsync(_sourceUri.Prefix, cancellationToken).ConfigureAwait(false))
        {
            listed++;
            listedBytes += info.Size;
            if (listed % ProgressEvery == 0)
            {
                progress?.Report(new ImportProgress(listed, 0, listedBytes, 0, 0, ImportPhase.Listing));
            }

            if (catalogInSource && info.Key.StartsWith(_catalog.Location.Prefix, StringComparison.Ordinal))
            {
                continue; // the catalog itself, when it lives under the imported prefix
            }

            var path = info.Key[_sourceUri.Prefix.Length..];
            var verdict = path.Length == 0 ? PathVerdict.DirectoryMarker : PathRules.Check(path);
            if (verdict != PathVerdict.Ok)
            {
                ListingRecord.AddSkipped(sorter, path, verdict);
                continue;
            }

            ListingRecord.AddFile(sorter, path, info.Size, info.LastModified, info.ETag);

            // The directories above the file, deepest first, until one already recorded (its parents were recorded with it).
            if (directories.Count >= DirectoriesRemembered)
            {
                directories.Clear();
            }

            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                var directory = path.AsSpan(0, slash);
                if (!seen.Add(directory))
                {
                    break;
                }

                ListingRecord.AddDirectory(sorter, directory);
            }
        }

        progress?.Report(new ImportProgress(listed, 0, listedBytes, 0, 0, ImportPhase.Listing));

        // 2. Merge: settle each record in key order and feed the ranges.
        var state = new MergeState(this, _sourceUri.AddressOf(_sourceUri.Prefix), new RangeBuilder(_policy, work));
        var uploads = new List<Task<(bool Uploaded, long Bytes)>>();
        using var uploadSlots = new SemaphoreSlim(UploadConcurrency);
        try
        {
            long records = 0;
            foreach (var sorted in sorter.Sorted(cancellationToken))
            {
                if (state.Accept(sorted.Span))
                {
                    await CutRangeAsync(state, uploads, uploadSlots, cancellationToken).ConfigureAwait(false);
                }

                if (++records % ProgressEvery == 0)
                {
                    progress?.Report(new ImportProgress(listed, state.Entries, state.Bytes, state.Descriptors.Count, state.SkippedTotal, ImportPhase.Writing));
                }
            }

            if (state.Builder.Count > 0)
            {
                await CutRangeAsync(state, uploads, uploadSlots, cancellationToken).ConfigureAwait(false);
            }

            _logger.LogInformation("sorted {Records} records for {Listed} objects in {Runs} runs spilled to disk ({Bytes} bytes)", sorter.Added, listed, sorter.RunsSpilled, sorter.BytesSpilled);

            if (listed == 0)
            {
                throw new OrleansMountException($"{_sourceUri} holds no objects: check the bucket and prefix (a prefix is matched exactly, e.g. s3://bucket/datasets/train/)", 6);
            }

            if (state.Entries == 0)
            {
                throw new OrleansMountException($"{_sourceUri} holds {listed} objects but none can be a file ({string.Join(", ", state.Skipped.Select(kv => $"{kv.Value} {kv.Key}"))}); nothing to import", 6);
            }

            if (state.SkippedTotal > SkipWarningsLogged)
            {
                _logger.LogWarning("skipped {Count} keys in all ({Reasons})", state.SkippedTotal, string.Join(", ", state.Skipped.Select(kv => $"{kv.Key}: {kv.Value}")));
            }

            var metarange = WriteMetarange(state.Descriptors, work, out var metarangeFile);
            uploads.Add(UploadAsync(uploadSlots, _catalog.MetarangeKey(metarange), metarangeFile, cancellationToken));
            var results = await Task.WhenAll(uploads).ConfigureAwait(false);
            progress?.Report(new ImportProgress(listed, state.Entries, state.Bytes, state.Descriptors.Count, state.SkippedTotal, ImportPhase.Writing));

            var record = new SnapshotRecord
            {
                Name = name,
                Id = ComputeSnapshotId(metarange, state.SourceAddress).ToString(),
                Metarange = metarange.ToString(),
                Source = state.SourceAddress,
                CreatedAt = _time.GetUtcNow(),
                Entries = state.Entries,
                Bytes = state.Bytes,
                Ranges = state.Descriptors.Count,
                Skipped = state.Skipped,
            };
            await _catalog.PutSnapshotAsync(record, cancellationToken).ConfigureAwait(false);
            var catalogBytes = results.Sum(r => r.Bytes);
            _logger.LogInformation("imported {Source} as snapshot {Name} ({Id}): {Entries} entries, {Bytes} bytes, {Ranges} ranges, {CatalogBytes} catalog bytes", state.SourceAddress, name, record.Id, state.Entries, state.Bytes, state.Descriptors.Count, catalogBytes);
            return new ImportResult(record, results.Count(r => r.Uploaded), catalogBytes, stopwatch.Elapsed);
        }
        catch
        {
            // Let the uploads under way finish (or fail) before the work directory goes.
            try
            {
                await Task.WhenAll(uploads).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogDebug(e, "an upload failed after the import had failed");
            }

            throw;
        }
    }

    private async Task CutRangeAsync(MergeState state, List<Task<(bool Uploaded, long Bytes)>> uploads, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        // Wait for a free upload slot before writing the next range: range files never pile up on disk.
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        slots.Release();
        var (descriptor, file) = state.Builder.Cut();
        state.Descriptors.Add(descriptor);
        uploads.Add(UploadAsync(slots, _catalog.RangeKey(descriptor.Id), file, cancellationToken));
    }

    private void Skip(MergeState state, string key, PathVerdict verdict)
    {
        var reason = verdict.ToString();
        state.Skipped[reason] = state.Skipped.GetValueOrDefault(reason) + 1;
        if (++state.SkippedTotal <= SkipWarningsLogged)
        {
            _logger.LogWarning("skipped key {Key}: {Reason} (see docs/SEMANTICS.md, keys that cannot be files)", _sourceUri.AddressOf(key), Describe(verdict));
        }
    }

    private string CreateWorkDirectory(out FileStream workLock)
    {
        Directory.CreateDirectory(_workRoot);
        var root = Path.GetFullPath(_workRoot);
        var name = Guid.NewGuid().ToString("N")[..16];

        // Made under another name and renamed once its lock is held: another import's clean-up only looks at
        // WorkDirectoryPrefix* names, so it can never find this directory before the lock is taken (creating a file
        // and locking it are two steps, and a clean-up between them would take the directory for abandoned).
        var making = Path.Combine(root, ".making-" + name);
        var work = Path.Combine(root, WorkDirectoryPrefix + name);
        Directory.CreateDirectory(making, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // Held while the import runs; an import killed before its clean-up leaves the directory unlocked.
        workLock = new FileStream(Path.Combine(making, LockFileName), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        try
        {
            Directory.Move(making, work);
        }
        catch
        {
            workLock.Dispose();
            Directory.Delete(making, recursive: true);
            throw;
        }

        return work;
    }

    private void RemoveAbandonedWorkDirectories()
    {
        if (!Directory.Exists(_workRoot))
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(_workRoot, WorkDirectoryPrefix + "*"))
        {
            try
            {
                using (new FileStream(Path.Combine(directory, LockFileName), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                Directory.Delete(directory, recursive: true);
                _logger.LogInformation("removed {Directory}, left by an import that did not finish", directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Locked (an import is running there) or not ours: leave it.
            }
        }
    }

    private void DeleteWorkDirectory(string work)
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("could not remove the import's work directory {Directory}: {Message}", work, e.Message);
        }
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

    /// <summary>The merge's running state: one record at a time, nothing that grows with the listing but the range descriptors.</summary>
    private sealed class MergeState(SnapshotImporter importer, string sourceAddress, RangeBuilder builder)
    {
        private byte[] _lastPath = new byte[256];
        private int _lastPathLength = -1;
        private byte[] _lastDirectory = new byte[256];
        private int _lastDirectoryLength = -1;

        public string SourceAddress { get; } = sourceAddress;

        public RangeBuilder Builder { get; } = builder;

        public List<RangeDescriptor> Descriptors { get; } = [];

        public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

        public long SkippedTotal { get; set; }

        public long Entries { get; private set; }

        public long Bytes { get; private set; }

        /// <summary>Settles one sorted record; true when the range should be cut after it.</summary>
        public bool Accept(ReadOnlySpan<byte> record)
        {
            var pathBytes = ListingRecord.Read(record, out var kind, out var payload);
            if (kind == ListingRecord.Directory)
            {
                Remember(ref _lastDirectory, ref _lastDirectoryLength, pathBytes);
                return false;
            }

            var path = Encoding.UTF8.GetString(pathBytes);
            var key = importer._sourceUri.Prefix + path;
            if (_lastPathLength >= 0 && pathBytes.SequenceEqual(_lastPath.AsSpan(0, _lastPathLength)))
            {
                throw new OrleansMountException($"the object store listed '{key}' twice; the listing cannot be imported");
            }

            Remember(ref _lastPath, ref _lastPathLength, pathBytes);
            if (kind == ListingRecord.Skipped)
            {
                importer.Skip(this, key, (PathVerdict)record[payload]);
                return false;
            }

            // A directory record sorts right before the file of the same path: the file is also a directory, which wins.
            if (_lastDirectoryLength >= 0 && pathBytes.SequenceEqual(_lastDirectory.AsSpan(0, _lastDirectoryLength)))
            {
                importer.Skip(this, key, PathVerdict.FileShadowedByDirectory);
                return false;
            }

            var (size, modified, etag) = ListingRecord.ReadFile(record, payload);
            var entry = SnapshotEntry.Create(path, size, modified, etag, SourceAddress + path);
            Entries++;
            Bytes += size;
            return Builder.Add(path, EntryCodec.Encode(entry, SourceAddress + path, Builder.Count), size);
        }

        private static void Remember(ref byte[] buffer, ref int length, ReadOnlySpan<byte> value)
        {
            if (buffer.Length < value.Length)
            {
                buffer = new byte[Math.Max(value.Length, buffer.Length * 2)];
            }

            value.CopyTo(buffer);
            length = value.Length;
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
