namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_sstfilewriter_t</c>; released with <c>rocksdb_sstfilewriter_destroy</c>.</summary>
internal sealed class RocksSstFileWriterHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_sstfilewriter_destroy(native);
}
