namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_cache_t</c>; released with <c>rocksdb_cache_destroy</c>.</summary>
internal sealed class RocksCacheHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_cache_destroy(native);
}
