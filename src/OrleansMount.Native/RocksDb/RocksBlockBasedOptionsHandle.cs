namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_block_based_table_options_t</c>; released with <c>rocksdb_block_based_options_destroy</c>.</summary>
internal sealed class RocksBlockBasedOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_block_based_options_destroy(native);
}
