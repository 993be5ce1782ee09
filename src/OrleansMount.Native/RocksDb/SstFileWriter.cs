namespace OrleansMount.Native.RocksDb;

/// <summary>
/// Writes one SST file for <see cref="RocksDatabase.IngestExternalFiles"/>. Keys must be put in
/// strictly ascending bytewise order (RocksDB's error otherwise surfaces as
/// <see cref="RocksDbException"/>). Blocks are compressed with LZ4 or Snappy when the library
/// supports them (see <see cref="RocksCompression"/>). Disposing without <see cref="Finish"/>
/// deletes the partial file. Not thread-safe.
/// </summary>
public sealed unsafe class SstFileWriter : IDisposable
{
    private readonly RocksSstFileWriterHandle _writer;
    private bool _finished;

    private SstFileWriter(string path, RocksSstFileWriterHandle writer)
    {
        Path = path;
        _writer = writer;
    }

    public string Path { get; }

    /// <summary>Size of the finished file in bytes (0 before <see cref="Finish"/>).</summary>
    public ulong FileSize
    {
        get
        {
            RocksNative.rocksdb_sstfilewriter_file_size(_writer, out var size);
            return size;
        }
    }

    /// <summary>Creates (or truncates) the SST file at <paramref name="path"/>.</summary>
    public static SstFileWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var env = RocksNative.rocksdb_envoptions_create();
        using var options = RocksNative.rocksdb_options_create();
        RocksNative.rocksdb_options_set_compression(options, RocksCompression.Preferred);
        var writer = RocksNative.rocksdb_sstfilewriter_create(env, options);
        writer.KeepAlive(env);
        writer.KeepAlive(options);
        var error = IntPtr.Zero;
        RocksNative.rocksdb_sstfilewriter_open(writer, path, ref error);
        if (error != IntPtr.Zero)
        {
            writer.Dispose();
            RocksDbException.ThrowIfError(error, $"rocksdb sst open {path}");
        }

        return new SstFileWriter(path, writer);
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var error = IntPtr.Zero;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            RocksNative.rocksdb_sstfilewriter_put(_writer, k, (nuint)key.Length, v, (nuint)value.Length, ref error);
        }

        RocksDbException.ThrowIfError(error, $"rocksdb sst put into {Path}");
    }

    /// <summary>Writes the index and footer and closes the file.</summary>
    public void Finish()
    {
        var error = IntPtr.Zero;
        RocksNative.rocksdb_sstfilewriter_finish(_writer, ref error);
        RocksDbException.ThrowIfError(error, $"rocksdb sst finish {Path}");
        _finished = true;
    }

    public void Dispose()
    {
        if (_writer.IsClosed)
        {
            return;
        }

        _writer.Dispose();
        if (!_finished)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // Best effort: an unfinished SST is useless, and its directory is the caller's.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
