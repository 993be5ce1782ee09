namespace OrleansMount.Native.RocksDb;

/// <summary>Owns a <c>rocksdb_envoptions_t</c>; released with <c>rocksdb_envoptions_destroy</c>.</summary>
internal sealed class RocksEnvOptionsHandle : RocksSafeHandle
{
    protected override void Destroy(IntPtr native) => RocksNative.rocksdb_envoptions_destroy(native);
}
