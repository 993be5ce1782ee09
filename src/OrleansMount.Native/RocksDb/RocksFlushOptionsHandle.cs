namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_flushoptions_t</c>; released with <c>rocksdb_flushoptions_destroy</c>.</summary>
internal sealed class RocksFlushOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_flushoptions_destroy(native);
}
