namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_readoptions_t</c>; released with <c>rocksdb_readoptions_destroy</c>.</summary>
internal sealed class RocksReadOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_readoptions_destroy(native);
}
