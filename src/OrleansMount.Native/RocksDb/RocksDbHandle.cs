namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_t</c>; released with <c>rocksdb_close</c>.</summary>
internal sealed class RocksDbHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_close(native);
}
