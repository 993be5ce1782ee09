using RocksDbSharp;

namespace OrleansMount.Storage.RocksDb;

/// <summary>
/// A forward iterator over a <see cref="RocksDatabase"/> in bytewise key order. Not thread-safe.
/// <see cref="Key"/> and <see cref="Value"/> point into RocksDB's memory and are valid until the
/// next move or <see cref="Dispose"/>; copy with <see cref="KeyArray"/>/<see cref="ValueArray"/>
/// to keep them. When <see cref="Valid"/> turns false because of an error (not the end of the
/// data), it throws <see cref="RocksDbException"/>. The iterator keeps its database open until
/// it is disposed.
/// </summary>
/// <remarks>
/// The metadata walk reads the key several times per entry; every call into the package's
/// native layer costs a virtual call and a transition, so validity, key and value are fetched
/// once per position and cached until the next move (one native call per move, validity, key
/// and value: 4 per entry instead of 11 in <c>SnapshotView.ListDirectoryAsync</c>).
/// </remarks>
public sealed unsafe class RocksIterator : IDisposable
{
    private readonly RocksDatabase _database;
    private readonly Iterator _iterator;
    private readonly IntPtr _handle;
    private bool _disposed;

    // Of the current position: 0 = not asked yet, 1 = on an entry, 2 = past the end or failed.
    private int _state;
    private byte* _key;
    private int _keyLength;
    private byte* _value;
    private int _valueLength;

    internal RocksIterator(RocksDatabase database, Iterator iterator)
    {
        _database = database;
        _iterator = iterator;
        _handle = iterator.Handle;
    }

    public bool Valid
    {
        get
        {
            if (Positioned())
            {
                return true;
            }

            RocksDbSharp.Native.Instance.rocksdb_iter_get_error(_handle, out var error);
            RocksDbException.ThrowIfError(error, $"rocksdb iterate {_database.Path}");
            return false;
        }
    }

    public ReadOnlySpan<byte> Key
    {
        get
        {
            if (_key == null)
            {
                EnsureValid();
                _key = (byte*)RocksDbSharp.Native.Instance.rocksdb_iter_key(_handle, out var length);
                _keyLength = checked((int)length);
            }

            return new ReadOnlySpan<byte>(_key, _keyLength);
        }
    }

    public ReadOnlySpan<byte> Value
    {
        get
        {
            if (_value == null)
            {
                EnsureValid();
                _value = (byte*)RocksDbSharp.Native.Instance.rocksdb_iter_value(_handle, out var length);
                _valueLength = checked((int)length);
            }

            return new ReadOnlySpan<byte>(_value, _valueLength);
        }
    }

    /// <summary>Positions at the first key at or after <paramref name="key"/>.</summary>
    public void Seek(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Moved();
        _iterator.Seek(key);
    }

    public void SeekToFirst()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Moved();
        _iterator.SeekToFirst();
    }

    public void Next()
    {
        EnsureValid();
        Moved();
        RocksDbSharp.Native.Instance.rocksdb_iter_next(_handle);
    }

    public byte[] KeyArray() => Key.ToArray();

    public byte[] ValueArray() => Value.ToArray();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Moved();
        _iterator.Dispose();
        _database.Release();
    }

    private bool Positioned()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state == 0)
        {
            _state = RocksDbSharp.Native.Instance.rocksdb_iter_valid(_handle) != 0 ? 1 : 2;
        }

        return _state == 1;
    }

    private void Moved()
    {
        _state = 0;
        _key = null;
        _value = null;
    }

    // RocksDB only asserts validity in debug builds; reading an invalid iterator is undefined.
    private void EnsureValid()
    {
        if (!Positioned())
        {
            throw new InvalidOperationException("the iterator is not positioned on an entry (check Valid first)");
        }
    }
}
