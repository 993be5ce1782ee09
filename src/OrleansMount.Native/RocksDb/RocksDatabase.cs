using System.Runtime.InteropServices;

namespace OrleansMount.Native.RocksDb;

/// <summary>
/// An open RocksDB database (default column family only). Every method may be called from many
/// threads at once, as RocksDB's own are; <see cref="Dispose"/> closes the database once no
/// iterator is using it any more. A directory can be open in one process at a time: a second
/// open fails with RocksDB's LOCK error.
/// </summary>
public sealed unsafe class RocksDatabase : IDisposable
{
    private readonly RocksDbHandle _db;
    private readonly RocksReadOptionsHandle _readOptions;
    private readonly RocksWriteOptionsHandle _writeOptions;

    private RocksDatabase(string path, RocksDbHandle db)
    {
        Path = path;
        _db = db;
        _readOptions = RocksNative.rocksdb_readoptions_create();
        _writeOptions = RocksNative.rocksdb_writeoptions_create();
    }

    /// <summary>The directory the database lives in.</summary>
    public string Path { get; }

    public static RocksDatabase Open(string path, RocksDatabaseOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RocksDatabaseOptions();
        using var native = RocksNative.rocksdb_options_create();
        RocksNative.rocksdb_options_set_create_if_missing(native, options.CreateIfMissing ? (byte)1 : (byte)0);
        if (options.MaxOpenFiles is { } maxOpenFiles)
        {
            RocksNative.rocksdb_options_set_max_open_files(native, maxOpenFiles);
        }

        if (options.BlockCacheBytes is { } cacheBytes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cacheBytes, nameof(options));

            // The table factory copies the table options, which hold a shared reference to the
            // cache: both native objects can be destroyed right after.
            using var cache = RocksNative.rocksdb_cache_create_lru((nuint)cacheBytes);
            using var table = RocksNative.rocksdb_block_based_options_create();
            RocksNative.rocksdb_block_based_options_set_block_cache(table, cache);
            RocksNative.rocksdb_options_set_block_based_table_factory(native, table);
        }

        var error = IntPtr.Zero;
        var db = RocksNative.rocksdb_open(native, path, ref error);
        if (error != IntPtr.Zero)
        {
            db.Dispose();
            RocksDbException.ThrowIfError(error, $"rocksdb open {path}");
        }

        return new RocksDatabase(path, db);
    }

    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        var error = IntPtr.Zero;
        IntPtr value;
        nuint length;
        fixed (byte* k = key)
        {
            value = RocksNative.rocksdb_get(_db, _readOptions, k, (nuint)key.Length, out length, ref error);
        }

        RocksDbException.ThrowIfError(error, $"rocksdb get in {Path}");
        if (value == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return new ReadOnlySpan<byte>((void*)value, checked((int)length)).ToArray();
        }
        finally
        {
            RocksNative.rocksdb_free(value);
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
        var error = IntPtr.Zero;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            RocksNative.rocksdb_put(_db, _writeOptions, k, (nuint)key.Length, v, (nuint)value.Length, ref error);
        }

        RocksDbException.ThrowIfError(error, $"rocksdb put in {Path}");
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        var error = IntPtr.Zero;
        fixed (byte* k = key)
        {
            RocksNative.rocksdb_delete(_db, _writeOptions, k, (nuint)key.Length, ref error);
        }

        RocksDbException.ThrowIfError(error, $"rocksdb delete in {Path}");
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically.</summary>
    public void Write(RocksWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var error = IntPtr.Zero;
        RocksNative.rocksdb_write(_db, _writeOptions, batch.Handle, ref error);
        RocksDbException.ThrowIfError(error, $"rocksdb write batch of {batch.Count} in {Path}");
    }

    /// <summary>A new iterator over a consistent view of the database; dispose it.</summary>
    public RocksIterator NewIterator() => new(_db, Path);

    /// <summary>
    /// Ingests finished SST files (see <see cref="SstFileWriter"/>). With
    /// <paramref name="moveFiles"/> the files are hard-linked into the database and the caller's
    /// copies can be deleted; otherwise they are copied.
    /// </summary>
    public void IngestExternalFiles(IReadOnlyList<string> paths, bool moveFiles)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            return;
        }

        using var options = RocksNative.rocksdb_ingestexternalfileoptions_create();
        RocksNative.rocksdb_ingestexternalfileoptions_set_move_files(options, moveFiles ? (byte)1 : (byte)0);
        var names = new IntPtr[paths.Count];
        try
        {
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(paths[i]);
            }

            var error = IntPtr.Zero;
            fixed (IntPtr* list = names)
            {
                RocksNative.rocksdb_ingest_external_file(_db, list, (nuint)names.Length, options, ref error);
            }

            RocksDbException.ThrowIfError(error, $"rocksdb ingest {string.Join(", ", paths)} into {Path}");
        }
        finally
        {
            foreach (var name in names)
            {
                Marshal.FreeCoTaskMem(name);
            }
        }
    }

    /// <summary>A RocksDB property (e.g. <c>rocksdb.estimate-num-keys</c>), or null if unknown.</summary>
    public string? GetProperty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var value = RocksNative.rocksdb_property_value(_db, name);
        if (value == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(value);
        }
        finally
        {
            RocksNative.rocksdb_free(value);
        }
    }

    /// <summary>Flushes the memtable to an SST file and waits for it.</summary>
    public void Flush()
    {
        using var options = RocksNative.rocksdb_flushoptions_create();
        RocksNative.rocksdb_flushoptions_set_wait(options, 1);
        var error = IntPtr.Zero;
        RocksNative.rocksdb_flush(_db, options, ref error);
        RocksDbException.ThrowIfError(error, $"rocksdb flush {Path}");
    }

    public void Dispose()
    {
        _db.Dispose();
        _readOptions.Dispose();
        _writeOptions.Dispose();
    }
}
