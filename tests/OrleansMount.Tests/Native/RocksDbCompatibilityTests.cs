using System.Text;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Tests.Native;

/// <summary>
/// Node caches and catalogs written before decision 0016 came from RocksDB 7.8 (the old binding of
/// Debian's librocksdb7.8). <c>RocksDb78/</c> holds a DB directory (100 keys flushed to an SST,
/// one more only in the write-ahead log) and a range-style SST (LZ4, table format 5) that
/// <c>RocksDb78/write-rocksdb78.c</c> wrote with that library.
/// </summary>
[UnitTest]
public sealed class RocksDbCompatibilityTests : IDisposable
{
    private static readonly string Golden = Path.Combine(AppContext.BaseDirectory, "Native", "RocksDb78");

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"om-rocks-compat-{Guid.NewGuid():N}");

    public RocksDbCompatibilityTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Database_directory_written_by_rocksdb_7_8_opens_with_every_key()
    {
        var path = CopyGoldenDatabase();
        using (var db = RocksDatabase.Open(path, new RocksDatabaseOptions(CreateIfMissing: false)))
        {
            Assert.Equal("in-the-log", S(db.Get(B("wal-only"))));
            var count = 0;
            using var iterator = db.NewIterator();
            for (iterator.Seek(B("db-key-")); iterator.Valid && iterator.Key.StartsWith(B("db-key-")); iterator.Next())
            {
                Assert.Equal($"db-key-{count:D3}", S(iterator.Key));
                Assert.Equal($"db-value-{count:D3}", S(iterator.Value));
                count++;
            }

            Assert.Equal(100, count);
            db.Put(B("written-by-11"), B("yes"));
            db.Flush();
        }

        // Opened, written and flushed by 11.12, it opens again.
        using var reopened = RocksDatabase.Open(path, new RocksDatabaseOptions(CreateIfMissing: false));
        Assert.Equal("yes", S(reopened.Get(B("written-by-11"))));
        Assert.Equal("db-value-042", S(reopened.Get(B("db-key-042"))));
    }

    [Fact]
    public void Sst_written_by_rocksdb_7_8_is_ingested()
    {
        var sst = Path.Combine(_root, "range-7.8.sst");
        File.Copy(Path.Combine(Golden, "range-7.8.sst"), sst);
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        db.IngestExternalFiles([sst], moveFiles: true);
        Assert.Equal("sst-value-000", S(db.Get(B("sst-key-000"))));
        Assert.Equal("sst-value-099", S(db.Get(B("sst-key-099"))));
        Assert.Null(db.Get(B("sst-key-100")));
    }

    [Fact]
    public void Ssts_written_here_use_table_format_5_which_rocksdb_7_8_reads()
    {
        var sst = Path.Combine(_root, "new.sst");
        using (var writer = SstFileWriter.Create(sst))
        {
            writer.Put(B("a"), B("1"));
            writer.Finish();
        }

        // The block-based table footer's format version: little-endian u32 at 12 bytes before the
        // end (checksum type, metaindex and index handles, version, magic number).
        var bytes = File.ReadAllBytes(sst);
        Assert.Equal(SstFileWriter.FormatVersion, BitConverter.ToInt32(bytes, bytes.Length - 12));
        Assert.Equal(5, SstFileWriter.FormatVersion);
    }

    [Fact]
    public void Loaded_native_library_is_the_packages_own()
    {
        var path = RocksNativeLibrary.LoadedPath;
        Assert.EndsWith(Path.Combine("runtimes", "linux-x64", "native", "librocksdb.so"), path, StringComparison.Ordinal);
    }

    private string CopyGoldenDatabase()
    {
        var target = Path.Combine(_root, "db78");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Golden, "db")))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? S(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static string? S(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
