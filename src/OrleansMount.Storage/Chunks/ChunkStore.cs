using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Native.RocksDb;

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
/// Integrity: a chunk's CRC32C is checked the first time it is opened in this process; a bad or
/// short file is deleted, counted in <see cref="CorruptionsDetected"/> and reported as a miss, so
/// no handle ever exposes bytes that fail their checksum.
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
    private const int VerifyBufferLength = 256 * 1024;

    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<ChunkId, ChunkEntry> _index = new();
    private readonly ConcurrentDictionary<ChunkId, bool> _verified = new();
    private readonly ResidentSetPolicy<ChunkId> _policy;
    private readonly List<ChunkId> _evicted = [];
    private readonly RocksDatabase _catalog;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _chunksDirectory;
    private readonly bool _verifyOnFirstOpen;
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
        _policy = new ResidentSetPolicy<ChunkId>(options.CapacityBytes, options.Policy);
        _verifyOnFirstOpen = options.VerifyOnFirstOpen;
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
    public Task<bool> PutAsync(ChunkId id, ReadOnlyMemory<byte> data, ChunkOrigin origin, CancellationToken cancellationToken) =>
        PutAsync(id, data, ChunkChecksum.Compute(data.Span), origin, cancellationToken);

    /// <summary>
    /// <see cref="PutAsync(ChunkId, ReadOnlyMemory{byte}, ChunkOrigin, CancellationToken)"/> for bytes whose
    /// CRC32C the caller has just computed over exactly <paramref name="data"/> (a peer copy it verified), so
    /// they are not checksummed twice. A wrong value costs a refetch when the file is next verified, never bytes served.
    /// </summary>
    public async Task<bool> PutAsync(ChunkId id, ReadOnlyMemory<byte> data, uint crc32C, ChunkOrigin origin, CancellationToken cancellationToken)
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
            var header = new byte[ChunkFileFormat.HeaderLength];
            ChunkFileFormat.WriteHeader(header, length, crc32C);
            // No preallocationSize: when fallocate fails for lack of space .NET throws an IOException
            // with a generic HResult, while a failing write carries ENOSPC (checked on a full tmpfs).
            using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await RandomAccess.WriteAsync(file, header, 0, cancellationToken).ConfigureAwait(false);
                await RandomAccess.WriteAsync(file, data, ChunkFileFormat.HeaderLength, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var entry = new ChunkEntry(id, length, crc32C, NowTicks());
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
                _verified[id] = true; // written from the bytes just checksummed
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
    /// Opens a stored chunk for reading, or returns null when it is absent or failed its check
    /// (the caller then fetches it again). Counts a hit or a miss.
    /// </summary>
    public ChunkHandle? TryOpen(ChunkId id)
    {
        if (!_index.TryGetValue(id, out var entry))
        {
            Interlocked.Increment(ref _misses);
            return null;
        }

        var fullCheck = _verifyOnFirstOpen && !_verified.ContainsKey(id);
        var file = OpenChecked(entry, fullCheck);
        if (file is null)
        {
            Interlocked.Increment(ref _misses);
            return null;
        }

        Touch(entry);
        Interlocked.Increment(ref _hits);
        return new ChunkHandle(file, GetChunkPath(id), entry.Length, entry.Crc32C);
    }

    /// <summary>
    /// Reads a stored chunk in full and checks its CRC32C; a bad chunk is removed and counted.
    /// False when it is absent or bad. Does not count as an access.
    /// </summary>
    public bool Verify(ChunkId id)
    {
        if (!_index.TryGetValue(id, out var entry))
        {
            return false;
        }

        using var file = OpenChecked(entry, fullCheck: true);
        return file is not null;
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

    private static string? CheckFile(SafeFileHandle file, ChunkEntry entry, bool fullCheck)
    {
        var fileLength = RandomAccess.GetLength(file);
        if (fileLength != ChunkFileFormat.HeaderLength + (long)entry.Length)
        {
            return $"file is {fileLength} bytes, expected {ChunkFileFormat.HeaderLength + (long)entry.Length}";
        }

        Span<byte> header = stackalloc byte[ChunkFileFormat.HeaderLength];
        if (RandomAccess.Read(file, header, 0) != header.Length)
        {
            return "short header";
        }

        if (!ChunkFileFormat.TryReadHeader(header, out var length, out var crc, out var problem))
        {
            return problem;
        }

        if (length != entry.Length || crc != entry.Crc32C)
        {
            return $"header says {length} bytes with CRC32C {crc:x8}, catalog says {entry.Length} bytes with {entry.Crc32C:x8}";
        }

        if (!fullCheck)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(VerifyBufferLength);
        try
        {
            uint actual = 0;
            long position = 0;
            while (position < entry.Length)
            {
                var want = (int)Math.Min(buffer.Length, entry.Length - position);
                var read = RandomAccess.Read(file, buffer.AsSpan(0, want), ChunkFileFormat.HeaderLength + position);
                if (read == 0)
                {
                    return $"file ended at {position} of {entry.Length} data bytes";
                }

                actual = ChunkChecksum.Append(actual, buffer.AsSpan(0, read));
                position += read;
            }

            return actual == entry.Crc32C ? null : $"CRC32C of the data is {actual:x8}, expected {entry.Crc32C:x8}";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Opens and checks an entry's file; on any problem removes it and returns null.</summary>
    private SafeFileHandle? OpenChecked(ChunkEntry entry, bool fullCheck)
    {
        var path = GetChunkPath(entry.Id);
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
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

        string? problem;
        try
        {
            problem = CheckFile(file, entry, fullCheck);
        }
        catch (IOException e)
        {
            problem = $"read failed: {e.Message}";
        }

        if (problem is null)
        {
            if (fullCheck)
            {
                _verified[entry.Id] = true;
            }

            return file;
        }

        file.Dispose();
        lock (_lock)
        {
            // A put that replaced the chunk meanwhile makes a mismatch expected, not corruption.
            if (IsCurrent(entry))
            {
                Interlocked.Increment(ref _corruptions);
                _logger.LogWarning("Chunk file {Path} is corrupt ({Problem}); deleted it, the chunk will be fetched again", path, problem);
                RemoveLocked(entry, deleteFile: true);
            }
        }

        return null;
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
        new ChunkCatalogRecord(entry.Length, entry.Crc32C, entry.LastAccessTicks).WriteValue(value);
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

        _verified.TryRemove(entry.Id, out _);
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
    /// without a row (a crash between rename and catalog write) are adopted from their header;
    /// they are checked in full at their first open like every chunk.
    /// </summary>
    private void Reconcile()
    {
        var rows = new Dictionary<ChunkId, ChunkCatalogRecord>();
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
                if (fileLength == ChunkFileFormat.HeaderLength + (long)record.Length)
                {
                    AddLoaded(new ChunkEntry(id, record.Length, record.Crc32C, record.LastAccessTicks));
                    continue;
                }

                stale.Delete(Key(id));
                _corruptions++; // a renamed file is complete, so a wrong size is damage
                _logger.LogWarning("Chunk file {Path} is {Actual} bytes, expected {Expected}; deleted it", path, fileLength, ChunkFileFormat.HeaderLength + (long)record.Length);
            }
            else if (TryReadHeader(path, out var length, out var crc) && fileLength == ChunkFileFormat.HeaderLength + (long)length)
            {
                var entry = new ChunkEntry(id, length, crc, File.GetLastWriteTimeUtc(path).Ticks);
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
            "Chunk store {Directory}: {Count} chunks, {Used} of {Capacity} bytes; adopted {Adopted}, dropped {Dropped}, removed {Temps} temp files",
            _chunksDirectory,
            _index.Count,
            UsedBytes,
            CapacityBytes,
            adopted,
            dropped,
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

    private static bool TryReadHeader(string path, out int length, out uint crc)
    {
        length = 0;
        crc = 0;
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> header = stackalloc byte[ChunkFileFormat.HeaderLength];
            return RandomAccess.Read(file, header, 0) == header.Length && ChunkFileFormat.TryReadHeader(header, out length, out crc, out _);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
