using RocksDbSharp;

namespace OrleansMount.Storage.RocksDb;

/// <summary>
/// Writes one SST file for <see cref="RocksDatabase.IngestExternalFiles"/>. Keys must be put in
/// strictly ascending bytewise order (RocksDB's error otherwise surfaces as
/// <see cref="RocksDbException"/>). Blocks are LZ4-compressed. The table format is pinned to
/// <see cref="FormatVersion"/> so that nodes still on RocksDB 7.8 can ingest range SSTs that
/// this version uploads to a shared catalog (11.x writes version 7 by default, which 7.8
/// rejects). Disposing without <see cref="Finish"/> deletes the partial file. Not thread-safe.
/// </summary>
public sealed unsafe class SstFileWriter : IDisposable
{
    /// <summary>Block-based table format written: the newest that RocksDB 7.8 reads.</summary>
    public const int FormatVersion = 5;

    private readonly RocksDbSharp.SstFileWriter _writer;

    // The writer's native object holds pointers into these.
    private readonly EnvOptions _env;
    private readonly ColumnFamilyOptions _options;
    private readonly BlockBasedTableOptions _table;
    private bool _finished;
    private bool _disposed;

    private SstFileWriter(string path, RocksDbSharp.SstFileWriter writer, EnvOptions env, ColumnFamilyOptions options, BlockBasedTableOptions table)
    {
        Path = path;
        _writer = writer;
        _env = env;
        _options = options;
        _table = table;
    }

    public string Path { get; }

    /// <summary>Size of the finished file in bytes (0 before <see cref="Finish"/>).</summary>
    public ulong FileSize => _finished ? (ulong)new FileInfo(Path).Length : 0;

    /// <summary>Creates (or truncates) the SST file at <paramref name="path"/>.</summary>
    public static SstFileWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RocksNativeLibrary.EnsureLoaded();
        var env = new EnvOptions();
        var table = new BlockBasedTableOptions().SetFormatVersion(FormatVersion);
        var options = new ColumnFamilyOptions().SetCompression(Compression.Lz4).SetBlockBasedTableFactory(table);
        var writer = new RocksDbSharp.SstFileWriter(env, options);
        try
        {
            RocksDbException.Wrap(() => writer.Open(path), $"rocksdb sst open {path}");
        }
        catch
        {
            writer.Dispose();
            throw;
        }

        return new SstFileWriter(path, writer, env, options, table);
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        // The package only takes arrays here; the span entry point avoids two copies per entry.
        var error = IntPtr.Zero;
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            RocksDbSharp.Native.Instance.rocksdb_sstfilewriter_put(_writer.Handle, k, (nuint)key.Length, v, (nuint)value.Length, out error);
        }

        RocksDbException.ThrowIfError(error, $"rocksdb sst put into {Path}");
    }

    /// <summary>Writes the index and footer and closes the file.</summary>
    public void Finish()
    {
        RocksDbException.Wrap(_writer.Finish, $"rocksdb sst finish {Path}");
        _finished = true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _writer.Dispose();
        GC.KeepAlive(_env);
        GC.KeepAlive(_options);
        GC.KeepAlive(_table);
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
