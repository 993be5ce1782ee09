namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_writeoptions_t</c>; released with <c>rocksdb_writeoptions_destroy</c>.</summary>
internal sealed class RocksWriteOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_writeoptions_destroy(native);
}
