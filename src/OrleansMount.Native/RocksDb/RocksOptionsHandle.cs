namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_options_t</c>; released with <c>rocksdb_options_destroy</c>.</summary>
internal sealed class RocksOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_options_destroy(native);
}
