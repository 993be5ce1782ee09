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
public sealed class RocksIterator : IDisposable
{
    private readonly RocksDatabase _database;
    private readonly Iterator _iterator;
    private bool _disposed;

    internal RocksIterator(RocksDatabase database, Iterator iterator)
    {
        _database = database;
        _iterator = iterator;
    }

    public bool Valid
    {
        get
        {
            if (_iterator.Valid())
            {
                return true;
            }

            RocksDbSharp.Native.Instance.rocksdb_iter_get_error(_iterator.Handle, out var error);
            RocksDbException.ThrowIfError(error, $"rocksdb iterate {_database.Path}");
            return false;
        }
    }

    public ReadOnlySpan<byte> Key
    {
        get
        {
            EnsureValid();
            return _iterator.GetKeySpan();
        }
    }

    public ReadOnlySpan<byte> Value
    {
        get
        {
            EnsureValid();
            return _iterator.GetValueSpan();
        }
    }

    /// <summary>Positions at the first key at or after <paramref name="key"/>.</summary>
    public void Seek(ReadOnlySpan<byte> key) => _iterator.Seek(key);

    public void SeekToFirst() => _iterator.SeekToFirst();

    public void Next()
    {
        EnsureValid();
        _iterator.Next();
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
        _iterator.Dispose();
        _database.Release();
    }

    // RocksDB only asserts validity in debug builds; reading an invalid iterator is undefined.
    private void EnsureValid()
    {
        if (!_iterator.Valid())
        {
            throw new InvalidOperationException("the iterator is not positioned on an entry (check Valid first)");
        }
    }
}
