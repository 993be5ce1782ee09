using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// The node's on-disk chunk cache, bounded by <see cref="ChunkStoreOptions.CapacityBytes"/>.
/// <para>
/// Layout: <c>DIR/chunks/XX/IDENTITY-INDEX.chunk</c> (XX = first two hex digits of the identity;
/// format in <see cref="ChunkFileFormat"/>) and a RocksDB catalog at <c>DIR/catalog</c>
/// (<see cref="ChunkCatalogRecord"/>). A chunk is written to a temp file next to its final name
/// and renamed into place, then recorded in the catalog; so a crash leaves either a temp file
/// (deleted at start), or a complete file without a row (adopted at start from its header), or a
/// row without a file (dropped at start). A restarted store serves what it had.
/// </para>
/// <para>
/// Integrity: every file carries a CRC32C per block (<see cref="ChunkFileFormat"/>). Opening checks the
/// header; every read through a <see cref="ChunkHandle"/> checks the blocks it returns, on every read. A
/// file found damaged (at open, by <see cref="Verify"/>, or reported after a failed read) is deleted, counted
/// in <see cref="CorruptionsDetected"/> and logged naming the chunk, so it is fetched again.
/// </para>
/// <para>
/// Admission and eviction follow <see cref="ResidentSetPolicy{TKey}"/> (docs/decisions/0006-epoch-eviction.md):
/// a stable resident set plus a small probation window, so epochs over a data set larger than the
/// cache keep a hit rate near capacity ÷ data set instead of collapsing as under LRU. Every put is
/// stored (the reader that asked opens the file); the policy only decides what leaves. The
/// last-access time is kept in the catalog (persisted at most once a second per chunk); at start
/// every chunk is restored as resident in that order, which is all the policy state that survives
/// a restart. Evicting unlinks the file; handles already open keep reading it. Thread-safe: index
/// and policy changes, renames, deletes and catalog writes happen under one lock, while checksums
/// and file I/O of puts and opens run outside it.
/// </para>
/// </summary>
public sealed class ChunkStore : IDisposable
{
    private const string TempSuffix = ".tmp";
    private const string ChunkSuffix = ".chunk";

    /// <summary>
    /// A chunk's bytes are written at most this many at a time. The kernel sizes a page-cache folio by the write that
    /// creates it, and a write of 2 MiB or more gets 2 MiB folios. On a VM whose free memory goes back to the host
    /// (virtio-balloon free page reporting, as on this project's benchmark machine), each such folio comes from a
    /// reported block that the host must map again: 1 GiB written 4 MiB at a time cost ~4 s of CPU there against
    /// ~0.3 s written 1 MiB at a time (docs/decisions/0028).
    /// </summary>
    internal const int WriteSliceBytes = 1 << 20;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<ChunkId, ChunkEntry> _index = new();
    private readonly ResidentSetPolicy<ChunkId> _policy;
    private readonly List<ChunkId> _evicted = [];
    private readonly RocksDatabase _catalog;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _chunksDirectory;
    private readonly int _blockSize;
    private long _usedBytes;
    private long _reservedBytes;
    private long _hits;
    private long _misses;
    private long _evictions;
    private long _corruptions;

    public ChunkStore(ChunkStoreOptions options, ILogger<ChunkStore>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            throw new ArgumentException("ChunkStoreOptions.Directory is empty: set the directory that holds the node's chunk cache", nameof(options));
        }

        if (options.CapacityBytes <= 0)
        {
            throw new ArgumentException($"ChunkStoreOptions.CapacityBytes is {options.CapacityBytes}: set the bytes of disk the chunk cache may use", nameof(options));
        }

        CapacityBytes = options.CapacityBytes;
        _blockSize = options.BlockSize;
        ChunkFileFormat.CheckBlockSize(_blockSize);
        _policy = new ResidentSetPolicy<ChunkId>(options.CapacityBytes, options.Policy);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _chunksDirectory = Path.Combine(options.Directory, "chunks");
        for (var i = 0; i < 256; i++)
        {
            Directory.CreateDirectory(Path.Combine(_chunksDirectory, i.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        _catalog = RocksDatabase.Open(Path.Combine(options.Directory, "catalog"));
        try
        {
            Reconcile();
            lock (_lock)
            {
                _policy.EvictToFit(0, _evicted);
                RemoveEvictedLocked();
            }
        }
        catch
        {
            _catalog.Dispose();
            throw;
        }
    }

    public long CapacityBytes { get; }

    /// <summary>Bytes of chunk data stored (headers not counted).</summary>
    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    public long ChunkCount => _index.Count;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public long Evictions => Interlocked.Read(ref _evictions);

    public long CorruptionsDetected => Interlocked.Read(ref _corruptions);

    /// <summary>The path a chunk's file has (whether or not it is stored).</summary>
    public string GetChunkPath(ChunkId id) => ChunkPathIn(_chunksDirectory, id);

    /// <summary>
    /// The layout of chunk files below a store's <c>chunks/</c> directory, for readers that open
    /// them without the store (a mount reading its node's cache directly).
    /// </summary>
    public static string ChunkPathIn(string chunksDirectory, ChunkId id)
    {
        var name = id.ToString();
        return Path.Combine(chunksDirectory, name[..2], name + ChunkSuffix);
    }

    public bool Contains(ChunkId id) => _index.ContainsKey(id);

    /// <summary>Where the eviction policy holds a chunk (null when absent); for tests and diagnostics.</summary>
    public CacheSegment? SegmentOf(ChunkId id)
    {
        lock (_lock)
        {
            return _policy.SegmentOf(id);
        }
    }

    /// <summary>Bytes in the policy's stable resident set (the rest is the probation window).</summary>
    public long ResidentBytes
    {
        get
        {
            lock (_lock)
            {
                return _policy.ResidentBytes;
            }
        }
    }

    /// <inheritdoc cref="PutAsync(ChunkId, ReadOnlyMemory{byte}, ChunkOrigin, CancellationToken)"/>
    public Task<bool> PutAsync(ChunkId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        PutAsync(id, data, ChunkOrigin.Owned, cancellationToken);

    /// <summary>
    /// Stores a chunk (replacing any previous copy), evicting what the policy chooses to stay
    /// within capacity; a <see cref="ChunkOrigin.NearCopy"/> gives way before owned chunks.
    /// Returns false, storing nothing, when the chunk is larger than the capacity or the disk is full.
    /// </summary>
    public Task<bool> PutAsync(ChunkId id, ReadOnlyMemory<byte> data, ChunkOrigin origin, CancellationToken cancellationToken)
    {
        var blocks = new uint[ChunkFileFormat.BlockCount(data.Length, _blockSize)];
        return PutTableAsync(id, data, ChunkChecksum.ComputeBlocks(data.Span, _blockSize, blocks), origin, blocks, cancellationToken);
    }

    /// <summary>
    /// <see cref="PutAsync(ChunkId, ReadOnlyMemory{byte}, ChunkOrigin, CancellationToken)"/> for bytes whose
    /// CRC32C the caller has just computed over exactly <paramref name="data"/> (a peer copy it verified), so
    /// they are not checksummed twice; likewise <paramref name="blockCrcs"/>, the checksums of its blocks of
    /// <see cref="ChunkFileFormat.DefaultBlockSize"/> bytes when the caller has them (a fill takes them as the bytes
    /// arrive), used when the store's block size is that one. A wrong value costs a refetch when the file is next verified,
    /// never bytes served.
    /// </summary>
    public Task<bool> PutAsync(ChunkId id, ReadOnlyMemory<byte> data, uint crc32C, ChunkOrigin origin, CancellationToken cancellationToken, ReadOnlyMemory<uint> blockCrcs = default) =>
        PutTableAsync(id, data, crc32C, origin, _blockSize == ChunkFileFormat.DefaultBlockSize ? blockCrcs : default, cancellationToken);

    /// <summary>The put itself; <paramref name="table"/>: the checksums of the data's blocks of this store's block size, when known (else the header takes them).</summary>
    private async Task<bool> PutTableAsync(ChunkId id, ReadOnlyMemory<byte> data, uint crc32C, ChunkOrigin origin, ReadOnlyMemory<uint> table, CancellationToken cancellationToken)
    {
        var length = data.Length;
        if (length > CapacityBytes)
        {
            _logger.LogWarning("Not caching chunk {Chunk}: {Length} bytes is more than the chunk store's capacity of {Capacity} bytes", id, length, CapacityBytes);
            return false;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var path = GetChunkPath(id);
        var temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";

        // Make room before writing, so the disk never holds more than capacity plus what is in flight.
        CacheSegment segment;
        lock (_lock)
        {
            segment = _policy.MakeRoom(id, length, origin, _reservedBytes, _evicted);
            _reservedBytes += length;
            RemoveEvictedLocked();
        }

        var committed = false;
        try
        {
            var header = ChunkFileFormat.BuildHeader(id, data.Span, crc32C, _blockSize, table.Span);
            // No preallocationSize: when fallocate fails for lack of space .NET throws an IOException
            // with a generic HResult, while a failing write carries ENOSPC (checked on a full tmpfs).
            using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await RandomAccess.WriteAsync(file, header, 0, cancellationToken).ConfigureAwait(false);
                for (var written = 0; written < length; written += WriteSliceBytes)
                {
                    var slice = data.Slice(written, Math.Min(WriteSliceBytes, length - written));
                    await RandomAccess.WriteAsync(file, slice, header.Length + written, cancellationToken).ConfigureAwait(false);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            var entry = new ChunkEntry(id, length, crc32C, _blockSize, NowTicks());
            lock (_lock)
            {
                _reservedBytes -= length;
                committed = true;
                File.Move(temp, path, overwrite: true);
                var previous = _index.TryGetValue(id, out var old) ? old : null;
                try
                {
                    WriteRecord(entry);
                }
                catch (RocksDbException e)
                {
                    // The file at the path is the new one; with no record for it, remove it.
                    RemoveLocked(previous ?? entry, deleteFile: true);
                    TryDeleteFile(path);
                    _logger.LogWarning(e, "Not caching chunk {Chunk}: the catalog write failed", id);
                    return false;
                }

                _index[id] = entry;
                Interlocked.Add(ref _usedBytes, length - (previous?.Length ?? 0));
                _policy.Admit(id, length, origin, segment, _reservedBytes, _evicted);
                RemoveEvictedLocked();
            }

            return true;
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            _logger.LogWarning("Not caching chunk {Chunk} ({Length} bytes): the disk under {Directory} is full ({Message}); lower ChunkStoreOptions.CapacityBytes below the free space", id, length, _chunksDirectory, e.Message);
            return false;
        }
        finally
        {
            if (!committed)
            {
                lock (_lock)
                {
                    _reservedBytes -= length;
                }

                TryDeleteFile(temp);
            }
        }
    }

    /// <summary>
    /// Opens a stored chunk for reading (its header checked; its reads check their blocks), or returns null
    /// when it is absent or failed its check (the caller then fetches it again). Counts a hit or a miss.
    /// <paramref name="objectName"/> names the object in the log line if the file is found damaged.
    /// </summary>
    public ChunkHandle? TryOpen(ChunkId id, string? objectName = null)
    {
        if (!_index.TryGetValue(id, out var entry))
        {
            Interlocked.Increment(ref _misses);
            return null;
        }

        var handle = OpenChecked(entry, fullCheck: false, objectName);
        if (handle is null)
        {
            Interlocked.Increment(ref _misses);
            return null;
        }

        Touch(entry);
        Interlocked.Increment(ref _hits);
        return handle;
    }

    /// <summary>
    /// Reads a stored chunk in full and checks every block; a damaged chunk is removed, counted and logged
    /// (naming <paramref name="objectName"/> when given). False when it is absent or was damaged. Not an
    /// access. Called when a reader (the mount, a peer copy) found the chunk's bytes failing their check.
    /// </summary>
    public bool Verify(ChunkId id, string? objectName = null)
    {
        if (!_index.TryGetValue(id, out var entry))
        {
            return false;
        }

        using var handle = OpenChecked(entry, fullCheck: true, objectName);
        return handle is not null;
    }

    public void Dispose() => _catalog.Dispose();

    private static bool IsDiskFull(IOException e) =>
        e.HResult is 28 /* ENOSPC */ or 122 /* EDQUOT */ or unchecked((int)0x80070070) /* ERROR_DISK_FULL */ or unchecked((int)0x80070027) /* ERROR_HANDLE_DISK_FULL */;

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort; reconciliation at the next start cleans up what is left.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Opens and checks an entry's file (in full if asked); on any problem removes it and returns null.</summary>
    private ChunkHandle? OpenChecked(ChunkEntry entry, bool fullCheck, string? objectName)
    {
        var path = GetChunkPath(entry.Id);
        var handle = ChunkHandle.TryOpen(path, entry.Id, entry.Length, out var problem);
        if (handle is null && problem is null)
        {
            lock (_lock)
            {
                if (IsCurrent(entry))
                {
                    _logger.LogWarning("Chunk file {Path} is missing; dropping it from the catalog", path);
                    RemoveLocked(entry, deleteFile: false);
                }
            }

            return null;
        }

        if (handle is not null && handle.Crc32C != entry.Crc32C)
        {
            problem = $"its header's CRC32C {handle.Crc32C:x8} differs from the catalog's {entry.Crc32C:x8}";
        }

        if (handle is not null && problem is null && fullCheck)
        {
            problem = ReadAllChecked(handle);
        }

        if (problem is null)
        {
            return handle;
        }

        handle?.Dispose();
        lock (_lock)
        {
            // A put that replaced the chunk meanwhile makes a mismatch expected, not corruption.
            if (IsCurrent(entry))
            {
                Interlocked.Increment(ref _corruptions);
                _logger.LogWarning("Chunk file {Path} (chunk {Index} of {Object}) is corrupt ({Problem}); deleted it, the chunk will be fetched again", path, entry.Id.Index, objectName ?? entry.Id.Identity.ToString(), problem);
                RemoveLocked(entry, deleteFile: true);
            }
        }

        return null;
    }

    /// <summary>Reads every block through the handle (each checked); the problem found, or null.</summary>
    private static string? ReadAllChecked(ChunkHandle handle)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, Math.Min(handle.Length, 1 << 20)));
        try
        {
            for (long position = 0; position < handle.Length;)
            {
                position += handle.Read(position, buffer);
            }

            return null;
        }
        catch (ChunkDamagedException e)
        {
            return e.Problem;
        }
        catch (IOException e)
        {
            return $"read failed: {e.Message}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool IsCurrent(ChunkEntry entry) => _index.TryGetValue(entry.Id, out var current) && ReferenceEquals(current, entry);

    private long NowTicks() => _time.GetUtcNow().UtcTicks;

    private void Touch(ChunkEntry entry)
    {
        var now = NowTicks();
        entry.LastAccessTicks = now;
        lock (_lock)
        {
            if (!IsCurrent(entry))
            {
                return;
            }

            _policy.RecordAccess(entry.Id);
            if (now - entry.PersistedAccessTicks >= TimeSpan.TicksPerSecond)
            {
                try
                {
                    WriteRecord(entry);
                    entry.PersistedAccessTicks = now;
                }
                catch (RocksDbException e)
                {
                    // Only the persisted recency is lost; the in-memory one still orders eviction.
                    _logger.LogWarning(e, "Could not record the last access of chunk {Chunk}", entry.Id);
                }
            }
        }
    }

    private void WriteRecord(ChunkEntry entry)
    {
        Span<byte> key = stackalloc byte[ChunkCatalogRecord.KeyLength];
        Span<byte> value = stackalloc byte[ChunkCatalogRecord.ValueLength];
        ChunkCatalogRecord.WriteKey(entry.Id, key);
        new ChunkCatalogRecord(entry.Length, entry.Crc32C, entry.LastAccessTicks, entry.BlockSize).WriteValue(value);
        _catalog.Put(key, value);
    }

    /// <summary>Forgets an entry (index, accounting, catalog row) and optionally deletes its file. Holds _lock.</summary>
    private void RemoveLocked(ChunkEntry entry, bool deleteFile)
    {
        if (_index.TryRemove(new KeyValuePair<ChunkId, ChunkEntry>(entry.Id, entry)))
        {
            Interlocked.Add(ref _usedBytes, -entry.Length);
            _policy.Remove(entry.Id); // a no-op for a chunk the policy itself evicted
        }

        Span<byte> key = stackalloc byte[ChunkCatalogRecord.KeyLength];
        ChunkCatalogRecord.WriteKey(entry.Id, key);
        try
        {
            _catalog.Delete(key);
        }
        catch (RocksDbException e)
        {
            // A stale row is dropped at the next start when its file is gone.
            _logger.LogWarning(e, "Could not remove chunk {Chunk} from the catalog", entry.Id);
        }

        if (deleteFile)
        {
            TryDeleteFile(GetChunkPath(entry.Id));
        }
    }

    /// <summary>Deletes the chunks the policy just evicted (in <see cref="_evicted"/>) and counts them. Holds _lock.</summary>
    private void RemoveEvictedLocked()
    {
        foreach (var id in _evicted)
        {
            if (_index.TryGetValue(id, out var entry))
            {
                RemoveLocked(entry, deleteFile: true);
                Interlocked.Increment(ref _evictions);
            }
        }

        _evicted.Clear();
    }

    /// <summary>
    /// Brings the index, the catalog and the files into agreement after a start: temp files are
    /// deleted, rows whose file is missing or has the wrong size are dropped, and complete files
    /// without a row (a crash between rename and catalog write) are adopted from their checked header
    /// (their blocks are checked as they are read, like every chunk's). Rows and files of an older
    /// format (version 1: one CRC32C for the whole chunk) are dropped with their files, never trusted:
    /// those chunks are fetched again.
    /// </summary>
    private void Reconcile()
    {
        var rows = new Dictionary<ChunkId, ChunkCatalogRecord>();
        var oldFormat = 0;
        using var stale = new RocksWriteBatch();
        using (var iterator = _catalog.NewIterator())
        {
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                if (ChunkCatalogRecord.TryReadKey(iterator.Key, out var id) && ChunkCatalogRecord.TryReadValue(iterator.Value, out var record))
                {
                    rows[id] = record;
                }
                else
                {
                    oldFormat += iterator.Value.Length > 0 && iterator.Value[0] < ChunkCatalogRecord.Version ? 1 : 0;
                    stale.Delete(iterator.Key);
                }
            }
        }

        int adopted = 0, dropped = 0, temps = 0;
        foreach (var path in Directory.EnumerateFiles(_chunksDirectory, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(TempSuffix, StringComparison.Ordinal))
            {
                TryDeleteFile(path);
                temps++;
                continue;
            }

            if (!name.EndsWith(ChunkSuffix, StringComparison.Ordinal) || !TryParseChunkId(name[..^ChunkSuffix.Length], out var id) || GetChunkPath(id) != path)
            {
                continue;
            }

            var fileLength = new FileInfo(path).Length;
            if (rows.Remove(id, out var record))
            {
                var expected = ChunkFileFormat.FileLength(record.Length, record.BlockSize);
                if (fileLength == expected)
                {
                    AddLoaded(new ChunkEntry(id, record.Length, record.Crc32C, record.BlockSize, record.LastAccessTicks));
                    continue;
                }

                stale.Delete(Key(id));
                _corruptions++; // a renamed file is complete, so a wrong size is damage
                _logger.LogWarning("Chunk file {Path} is {Actual} bytes, expected {Expected}; deleted it", path, fileLength, expected);
            }
            else if (TryReadHeader(path, id) is { } header)
            {
                var entry = new ChunkEntry(id, header.Length, header.Crc32C, header.BlockSize, File.GetLastWriteTimeUtc(path).Ticks);
                WriteRecord(entry);
                AddLoaded(entry);
                adopted++;
                continue;
            }

            TryDeleteFile(path);
            dropped++;
        }

        foreach (var id in rows.Keys)
        {
            stale.Delete(Key(id));
            dropped++;
        }

        if (stale.Count > 0)
        {
            _catalog.Write(stale);
        }

        // The policy's only persisted state is recency: restore least recent first.
        foreach (var entry in _index.Values.OrderBy(e => e.LastAccessTicks))
        {
            _policy.Restore(entry.Id, entry.Length);
        }

        _logger.LogInformation(
            "Chunk store {Directory}: {Count} chunks, {Used} of {Capacity} bytes; adopted {Adopted}, dropped {Dropped} (of an older format: {OldFormat}), removed {Temps} temp files",
            _chunksDirectory,
            _index.Count,
            UsedBytes,
            CapacityBytes,
            adopted,
            dropped,
            oldFormat,
            temps);
    }

    private void AddLoaded(ChunkEntry entry)
    {
        _index[entry.Id] = entry;
        _usedBytes += entry.Length;
    }

    private static byte[] Key(ChunkId id)
    {
        var key = new byte[ChunkCatalogRecord.KeyLength];
        ChunkCatalogRecord.WriteKey(id, key);
        return key;
    }

    private static bool TryParseChunkId(string text, out ChunkId id)
    {
        try
        {
            id = ChunkId.Parse(text);
            return true;
        }
        catch (FormatException)
        {
            id = default;
            return false;
        }
    }

    /// <summary>The checked header of the file at <paramref name="path"/> if it holds chunk <paramref name="id"/>; else null.</summary>
    private static ChunkFileHeader? TryReadHeader(string path, ChunkId id)
    {
        using var handle = ChunkHandle.TryOpen(path, id, expectedLength: null, out _);
        return handle?.Header;
    }
}
