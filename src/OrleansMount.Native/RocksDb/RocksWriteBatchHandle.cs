namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_writebatch_t</c>; released with <c>rocksdb_writebatch_destroy</c>.</summary>
internal sealed class RocksWriteBatchHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_writebatch_destroy(native);
}
