namespace OrleansMount.Native.RocksDb;

/// <summary>
/// A forward iterator over a <see cref="RocksDatabase"/> in bytewise key order. Not thread-safe.
/// <see cref="Key"/> and <see cref="Value"/> point into RocksDB's memory and are valid until the
/// next move or <see cref="Dispose"/>; copy with <see cref="KeyArray"/>/<see cref="ValueArray"/>
/// to keep them. When <see cref="Valid"/> turns false because of an error (not the end of the
/// data), it throws <see cref="RocksDbException"/>.
/// </summary>
public sealed unsafe class RocksIterator : IDisposable
{
    private readonly RocksIteratorHandle _iterator;
    private readonly string _path;

    internal RocksIterator(RocksDbHandle db, string path)
    {
        _path = path;

        // The iterator keeps the database and its read options alive until it is destroyed.
        using var readOptions = RocksNative.rocksdb_readoptions_create();
        _iterator = RocksNative.rocksdb_create_iterator(db, readOptions);
        _iterator.KeepAlive(db);
        _iterator.KeepAlive(readOptions);
    }

    public bool Valid
    {
        get
        {
            if (RocksNative.rocksdb_iter_valid(_iterator) != 0)
            {
                return true;
            }

            var error = IntPtr.Zero;
            RocksNative.rocksdb_iter_get_error(_iterator, ref error);
            RocksDbException.ThrowIfError(error, $"rocksdb iterate {_path}");
            return false;
        }
    }

    public ReadOnlySpan<byte> Key
    {
        get
        {
            EnsureValid();
            var key = RocksNative.rocksdb_iter_key(_iterator, out var length);
            return new ReadOnlySpan<byte>(key, checked((int)length));
        }
    }

    public ReadOnlySpan<byte> Value
    {
        get
        {
            EnsureValid();
            var value = RocksNative.rocksdb_iter_value(_iterator, out var length);
            return new ReadOnlySpan<byte>(value, checked((int)length));
        }
    }

    /// <summary>Positions at the first key at or after <paramref name="key"/>.</summary>
    public void Seek(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            RocksNative.rocksdb_iter_seek(_iterator, k, (nuint)key.Length);
        }
    }

    public void SeekToFirst() => RocksNative.rocksdb_iter_seek_to_first(_iterator);

    public void Next()
    {
        EnsureValid();
        RocksNative.rocksdb_iter_next(_iterator);
    }

    public byte[] KeyArray() => Key.ToArray();

    public byte[] ValueArray() => Value.ToArray();

    public void Dispose() => _iterator.Dispose();

    // RocksDB only asserts validity in debug builds; reading an invalid iterator is undefined.
    private void EnsureValid()
    {
        if (RocksNative.rocksdb_iter_valid(_iterator) == 0)
        {
            throw new InvalidOperationException("the iterator is not positioned on an entry (check Valid first)");
        }
    }
}
