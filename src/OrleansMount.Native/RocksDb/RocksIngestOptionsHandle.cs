namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_ingestexternalfileoptions_t</c>; released with <c>rocksdb_ingestexternalfileoptions_destroy</c>.</summary>
internal sealed class RocksIngestOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_ingestexternalfileoptions_destroy(native);
}
