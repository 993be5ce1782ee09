namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_iterator_t</c>; released with <c>rocksdb_iter_destroy</c>.</summary>
internal sealed class RocksIteratorHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_iter_destroy(native);
}
