using RocksDbSharp;

namespace OrleansMount.Storage.RocksDb;

/// <summary>
/// An open RocksDB database (default column family only), over the <c>RocksDB</c> package's
/// <see cref="RocksDbSharp.RocksDb"/>. Every method may be called from many threads at once, as
/// RocksDB's own are; <see cref="Dispose"/> closes the database once no iterator is using it any
/// more (the package closes at once, and reading an iterator of a closed database crashes the
/// process). A directory can be open in one process at a time: a second open fails with
/// RocksDB's LOCK error. Errors surface as <see cref="RocksDbException"/> naming the operation
/// and the path.
/// </summary>
public sealed class RocksDatabase : IDisposable
{
    private readonly RocksDbSharp.RocksDb _db;

    // Kept for the database's life: the package hands the native pointers to RocksDB and does
    // not keep its managed owners reachable.
    private readonly DbOptions _options;
    private readonly BlockBasedTableOptions? _tableOptions;
    private readonly Cache? _cache;

    // 1 for the database itself plus 1 per open iterator; the native database closes at 0.
    private int _references = 1;
    private int _disposed;

    private RocksDatabase(string path, RocksDbSharp.RocksDb db, DbOptions options, BlockBasedTableOptions? tableOptions, Cache? cache)
    {
        Path = path;
        _db = db;
        _options = options;
        _tableOptions = tableOptions;
        _cache = cache;
    }

    /// <summary>The directory the database lives in.</summary>
    public string Path { get; }

    public static RocksDatabase Open(string path, RocksDatabaseOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RocksDatabaseOptions();
        RocksNativeLibrary.EnsureLoaded();
        var native = new DbOptions().SetCreateIfMissing(options.CreateIfMissing);
        if (options.MaxOpenFiles is { } maxOpenFiles)
        {
            native.SetMaxOpenFiles(maxOpenFiles);
        }

        BlockBasedTableOptions? table = null;
        Cache? cache = null;
        if (options.BlockCacheBytes is { } cacheBytes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes, nameof(options));
            cache = Cache.CreateLru((ulong)cacheBytes);
            table = new BlockBasedTableOptions().SetBlockCache(cache);
            native.SetBlockBasedTableFactory(table);
        }

        var db = RocksDbException.Wrap(() => RocksDbSharp.RocksDb.Open(native, path), $"rocksdb open {path}");
        return new RocksDatabase(path, db, native, table, cache);
    }

    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        try
        {
            return _db.Get(key);
        }
        catch (RocksDbSharpException e)
        {
            throw RocksDbException.From(e, $"rocksdb get in {Path}");
        }
    }

    public bool TryGet(ReadOnlySpan<byte> key, out byte[] value)
    {
        var found = Get(key);
        value = found ?? [];
        return found is not null;
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfDisposed();
        try
        {
            _db.Put(key, value);
        }
        catch (RocksDbSharpException e)
        {
            throw RocksDbException.From(e, $"rocksdb put in {Path}");
        }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        try
        {
            _db.Remove(key);
        }
        catch (RocksDbSharpException e)
        {
            throw RocksDbException.From(e, $"rocksdb delete in {Path}");
        }
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically.</summary>
    public void Write(RocksWriteBatch batch)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(batch);
        RocksDbException.Wrap(() => _db.Write(batch.Batch), $"rocksdb write batch of {batch.Count} in {Path}");
    }

    /// <summary>A new iterator over a consistent view of the database; dispose it.</summary>
    public RocksIterator NewIterator()
    {
        ThrowIfDisposed();
        if (Interlocked.Increment(ref _references) == 1)
        {
            throw new ObjectDisposedException(Path);
        }

        try
        {
            return new RocksIterator(this, _db.NewIterator());
        }
        catch
        {
            Release();
            throw;
        }
    }

    /// <summary>
    /// Ingests finished SST files (see <see cref="SstFileWriter"/>). With
    /// <paramref name="moveFiles"/> the files are hard-linked into the database and the caller's
    /// copies can be deleted; otherwise they are copied.
    /// </summary>
    public void IngestExternalFiles(IReadOnlyList<string> paths, bool moveFiles)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return;
        }

        var options = new IngestExternalFileOptions().SetMoveFiles(moveFiles);
        RocksDbException.Wrap(() => _db.IngestExternalFiles([.. paths], options), $"rocksdb ingest {string.Join(", ", paths)} into {Path}");
        GC.KeepAlive(options);
    }

    /// <summary>A RocksDB property (e.g. <c>rocksdb.estimate-num-keys</c>), or null if unknown.</summary>
    public string? GetProperty(string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(name);
        return _db.GetProperty(name);
    }

    /// <summary>Flushes the memtable to an SST file and waits for it.</summary>
    public void Flush()
    {
        ThrowIfDisposed();
        var options = new FlushOptions().SetWaitForFlush(true);
        RocksDbException.Wrap(() => _db.Flush(options), $"rocksdb flush {Path}");
        GC.KeepAlive(options);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }
    }

    // Calls racing with Dispose are the caller's bug, as with any IDisposable; this catches the sequential ones.
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Drops one reference (the database's own or an iterator's); the last one closes.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _db.Dispose();
            GC.KeepAlive(_options);
            GC.KeepAlive(_tableOptions);
            GC.KeepAlive(_cache);
        }
    }
}
