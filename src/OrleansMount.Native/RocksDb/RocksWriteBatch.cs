namespace OrleansMount.Native.RocksDb;

/// <summary>Puts and deletes applied atomically by <see cref="RocksDatabase.Write"/>. Not thread-safe.</summary>
public sealed unsafe class RocksWriteBatch : IDisposable
{
    public RocksWriteBatch()
    {
        Handle = RocksNative.rocksdb_writebatch_create();
    }

    /// <summary>Operations in the batch.</summary>
    public int Count => RocksNative.rocksdb_writebatch_count(Handle);

    internal RocksWriteBatchHandle Handle { get; }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            RocksNative.rocksdb_writebatch_put(Handle, k, (nuint)key.Length, v, (nuint)value.Length);
        }
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            RocksNative.rocksdb_writebatch_delete(Handle, k, (nuint)key.Length);
        }
    }

    public void Dispose() => Handle.Dispose();
}
