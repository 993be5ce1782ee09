using System.Runtime.InteropServices;

namespace OrleansMount.Native.RocksDb;

/// <summary>
/// The RocksDB 7.8 C API (<c>/usr/include/rocksdb/c.h</c>), only what the project uses.
/// Conventions: <c>char** errptr</c> is <c>ref nint</c> (must start at zero; a non-zero result
/// is a malloc'd message freed with <c>rocksdb_free</c>, see <see cref="RocksDbException"/>);
/// <c>unsigned char</c> flags are <c>byte</c>; <c>size_t</c> is <c>nuint</c>. The soname is
/// versioned on purpose: a bare <c>librocksdb.so</c> only exists with the -dev package.
/// </summary>
internal static unsafe partial class RocksNative
{
    private const string Library = "librocksdb.so.7.8";

    [LibraryImport(Library)]
    internal static partial void rocksdb_free(IntPtr ptr);

    // --- options -------------------------------------------------------------------------

    [LibraryImport(Library)]
    internal static partial RocksOptionsHandle rocksdb_options_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_options_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_options_set_create_if_missing(RocksOptionsHandle options, byte value);

    [LibraryImport(Library)]
    internal static partial void rocksdb_options_set_max_open_files(RocksOptionsHandle options, int value);

    [LibraryImport(Library)]
    internal static partial void rocksdb_options_set_compression(RocksOptionsHandle options, int compression);

    [LibraryImport(Library)]
    internal static partial void rocksdb_options_set_block_based_table_factory(RocksOptionsHandle options, RocksBlockBasedOptionsHandle tableOptions);

    [LibraryImport(Library)]
    internal static partial RocksBlockBasedOptionsHandle rocksdb_block_based_options_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_block_based_options_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_block_based_options_set_block_cache(RocksBlockBasedOptionsHandle options, RocksCacheHandle cache);

    [LibraryImport(Library)]
    internal static partial RocksCacheHandle rocksdb_cache_create_lru(nuint capacity);

    [LibraryImport(Library)]
    internal static partial void rocksdb_cache_destroy(IntPtr cache);

    [LibraryImport(Library)]
    internal static partial RocksReadOptionsHandle rocksdb_readoptions_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_readoptions_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial RocksWriteOptionsHandle rocksdb_writeoptions_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_writeoptions_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial RocksFlushOptionsHandle rocksdb_flushoptions_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_flushoptions_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_flushoptions_set_wait(RocksFlushOptionsHandle options, byte wait);

    [LibraryImport(Library)]
    internal static partial RocksEnvOptionsHandle rocksdb_envoptions_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_envoptions_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial RocksIngestOptionsHandle rocksdb_ingestexternalfileoptions_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_ingestexternalfileoptions_destroy(IntPtr options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_ingestexternalfileoptions_set_move_files(RocksIngestOptionsHandle options, byte moveFiles);

    // --- database ------------------------------------------------------------------------

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial RocksDbHandle rocksdb_open(RocksOptionsHandle options, string name, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_close(IntPtr db);

    [LibraryImport(Library)]
    internal static partial void rocksdb_put(RocksDbHandle db, RocksWriteOptionsHandle options, byte* key, nuint keyLength, byte* value, nuint valueLength, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_delete(RocksDbHandle db, RocksWriteOptionsHandle options, byte* key, nuint keyLength, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_write(RocksDbHandle db, RocksWriteOptionsHandle options, RocksWriteBatchHandle batch, ref IntPtr errptr);

    /// <summary>Returns NULL when absent, else a malloc'd value of <paramref name="valueLength"/> bytes.</summary>
    [LibraryImport(Library)]
    internal static partial IntPtr rocksdb_get(RocksDbHandle db, RocksReadOptionsHandle options, byte* key, nuint keyLength, out nuint valueLength, ref IntPtr errptr);

    /// <summary>Returns NULL for an unknown property, else a malloc'd NUL-terminated string.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr rocksdb_property_value(RocksDbHandle db, string name);

    [LibraryImport(Library)]
    internal static partial void rocksdb_flush(RocksDbHandle db, RocksFlushOptionsHandle options, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_ingest_external_file(RocksDbHandle db, IntPtr* fileList, nuint listLength, RocksIngestOptionsHandle options, ref IntPtr errptr);

    // --- iterator ------------------------------------------------------------------------

    [LibraryImport(Library)]
    internal static partial RocksIteratorHandle rocksdb_create_iterator(RocksDbHandle db, RocksReadOptionsHandle options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_iter_destroy(IntPtr iterator);

    [LibraryImport(Library)]
    internal static partial byte rocksdb_iter_valid(RocksIteratorHandle iterator);

    [LibraryImport(Library)]
    internal static partial void rocksdb_iter_seek_to_first(RocksIteratorHandle iterator);

    [LibraryImport(Library)]
    internal static partial void rocksdb_iter_seek(RocksIteratorHandle iterator, byte* key, nuint keyLength);

    [LibraryImport(Library)]
    internal static partial void rocksdb_iter_next(RocksIteratorHandle iterator);

    [LibraryImport(Library)]
    internal static partial byte* rocksdb_iter_key(RocksIteratorHandle iterator, out nuint keyLength);

    [LibraryImport(Library)]
    internal static partial byte* rocksdb_iter_value(RocksIteratorHandle iterator, out nuint valueLength);

    [LibraryImport(Library)]
    internal static partial void rocksdb_iter_get_error(RocksIteratorHandle iterator, ref IntPtr errptr);

    // --- write batch ---------------------------------------------------------------------

    [LibraryImport(Library)]
    internal static partial RocksWriteBatchHandle rocksdb_writebatch_create();

    [LibraryImport(Library)]
    internal static partial void rocksdb_writebatch_destroy(IntPtr batch);

    [LibraryImport(Library)]
    internal static partial int rocksdb_writebatch_count(RocksWriteBatchHandle batch);

    [LibraryImport(Library)]
    internal static partial void rocksdb_writebatch_put(RocksWriteBatchHandle batch, byte* key, nuint keyLength, byte* value, nuint valueLength);

    [LibraryImport(Library)]
    internal static partial void rocksdb_writebatch_delete(RocksWriteBatchHandle batch, byte* key, nuint keyLength);

    // --- SST file writer -----------------------------------------------------------------

    [LibraryImport(Library)]
    internal static partial RocksSstFileWriterHandle rocksdb_sstfilewriter_create(RocksEnvOptionsHandle env, RocksOptionsHandle options);

    [LibraryImport(Library)]
    internal static partial void rocksdb_sstfilewriter_destroy(IntPtr writer);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void rocksdb_sstfilewriter_open(RocksSstFileWriterHandle writer, string name, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_sstfilewriter_put(RocksSstFileWriterHandle writer, byte* key, nuint keyLength, byte* value, nuint valueLength, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_sstfilewriter_finish(RocksSstFileWriterHandle writer, ref IntPtr errptr);

    [LibraryImport(Library)]
    internal static partial void rocksdb_sstfilewriter_file_size(RocksSstFileWriterHandle writer, out ulong fileSize);
}
