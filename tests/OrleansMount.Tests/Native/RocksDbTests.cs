using System.Text;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Tests.Native;

[UnitTest]
public sealed class RocksDbTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"om-rocks-test-{Guid.NewGuid():N}");

    public RocksDbTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Put_get_and_delete_round_trip()
    {
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        Assert.Null(db.Get(B("missing")));
        Assert.False(db.TryGet(B("missing"), out _));

        db.Put(B("alpha"), B("one"));
        db.Put(B("empty"), []);
        Assert.Equal(B("one"), db.Get(B("alpha")));
        Assert.Empty(db.Get(B("empty"))!);
        Assert.True(db.TryGet(B("alpha"), out var value));
        Assert.Equal(B("one"), value);

        db.Delete(B("alpha"));
        Assert.Null(db.Get(B("alpha")));
        Assert.NotNull(db.GetProperty("rocksdb.estimate-num-keys"));
        Assert.Null(db.GetProperty("rocksdb.no-such-property"));
        db.Flush();
    }

    [Fact]
    public void Iterator_seeks_and_walks_in_bytewise_order()
    {
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        foreach (var key in new[] { "b/2", "a", "b/1", "c", "b/10", "\u00ff" })
        {
            db.Put(B(key), B("v:" + key));
        }

        using var iterator = db.NewIterator();
        iterator.SeekToFirst();
        var all = new List<string>();
        while (iterator.Valid)
        {
            all.Add(S(iterator.Key));
            Assert.Equal("v:" + S(iterator.Key), S(iterator.Value));
            iterator.Next();
        }

        Assert.Equal(["a", "b/1", "b/10", "b/2", "c", "\u00ff"], all);

        iterator.Seek(B("b/"));
        Assert.True(iterator.Valid);
        Assert.Equal(B("b/1"), iterator.KeyArray());
        Assert.Equal(B("v:b/1"), iterator.ValueArray());

        iterator.Seek(B("zz"));
        Assert.True(iterator.Valid); // "\u00ff" is 0xC3 0xBF in UTF-8, after "zz"
        iterator.Next();
        Assert.False(iterator.Valid);
        Assert.Throws<InvalidOperationException>(() => iterator.Key.Length);
    }

    [Fact]
    public void Iterator_keeps_the_database_open_after_it_is_disposed()
    {
        var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        db.Put(B("k"), B("v"));
        using var iterator = db.NewIterator();
        db.Dispose();
        iterator.SeekToFirst();
        Assert.True(iterator.Valid);
        Assert.Equal("k", S(iterator.Key));
        Assert.Throws<ObjectDisposedException>(() => db.Get(B("k")));
    }

    [Fact]
    public void Write_batch_applies_puts_and_deletes()
    {
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        db.Put(B("gone"), B("x"));
        using var batch = new RocksWriteBatch();
        batch.Put(B("a"), B("1"));
        batch.Put(B("b"), B("2"));
        batch.Delete(B("gone"));
        Assert.Equal(3, batch.Count);

        db.Write(batch);

        Assert.Equal(B("1"), db.Get(B("a")));
        Assert.Equal(B("2"), db.Get(B("b")));
        Assert.Null(db.Get(B("gone")));
    }

    [Fact]
    public void Sst_file_is_written_ingested_and_read_back()
    {
        var sst = Path.Combine(_root, "one.sst");
        using (var writer = SstFileWriter.Create(sst))
        {
            for (var i = 0; i < 1000; i++)
            {
                writer.Put(B($"key{i:D5}"), B(new string('v', 100) + i));
            }

            writer.Finish();
            Assert.True(writer.FileSize > 0);
            Assert.Equal((long)writer.FileSize, new FileInfo(sst).Length);

            // 1000 highly compressible values: compression (LZ4 or Snappy here) keeps it small.
            Assert.True(writer.FileSize < 100_000, $"file size {writer.FileSize}");
        }

        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        db.IngestExternalFiles([sst], moveFiles: true);
        Assert.Equal(B(new string('v', 100) + 7), db.Get(B("key00007")));
        using var iterator = db.NewIterator();
        iterator.SeekToFirst();
        var count = 0;
        while (iterator.Valid)
        {
            count++;
            iterator.Next();
        }

        Assert.Equal(1000, count);
    }

    [Fact]
    public void Two_ssts_with_disjoint_prefixes_are_both_visible()
    {
        var first = WriteSst("r1.sst", "range-a/", 50);
        var second = WriteSst("r2.sst", "range-b/", 50);
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));

        db.IngestExternalFiles([first, second], moveFiles: false);

        Assert.Equal(B("range-a/7"), db.Get(B("range-a/00007")));
        Assert.Equal(B("range-b/49"), db.Get(B("range-b/00049")));
        using var iterator = db.NewIterator();
        iterator.Seek(B("range-b/"));
        Assert.Equal("range-b/00000", S(iterator.Key));
        Assert.True(File.Exists(first)); // copied, not moved
    }

    [Fact]
    public void Out_of_order_put_into_sst_throws_with_rocksdb_text()
    {
        using var writer = SstFileWriter.Create(Path.Combine(_root, "bad.sst"));
        writer.Put(B("b"), B("1"));

        var error = Assert.Throws<RocksDbException>(() => writer.Put(B("a"), B("2")));

        Assert.Contains("rocksdb sst put", error.Message, StringComparison.Ordinal);
        Assert.Contains("Keys must be added in strict ascending order", error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(error.NativeMessage);
    }

    [Fact]
    public void Unfinished_sst_is_deleted_on_dispose()
    {
        var path = Path.Combine(_root, "partial.sst");
        using (var writer = SstFileWriter.Create(path))
        {
            writer.Put(B("a"), B("1"));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Opening_the_same_database_twice_fails_with_a_lock_error()
    {
        var path = Path.Combine(_root, "db");
        using var db = RocksDatabase.Open(path);

        var error = Assert.Throws<RocksDbException>(() => RocksDatabase.Open(path));

        Assert.Contains($"rocksdb open {path}", error.Message, StringComparison.Ordinal);
        Assert.Contains("LOCK", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_a_missing_database_without_create_fails()
    {
        var error = Assert.Throws<RocksDbException>(() => RocksDatabase.Open(Path.Combine(_root, "none"), new RocksDatabaseOptions(CreateIfMissing: false)));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reopen_after_dispose_sees_the_data()
    {
        var path = Path.Combine(_root, "db");
        using (var db = RocksDatabase.Open(path, new RocksDatabaseOptions { BlockCacheBytes = 1 << 20, MaxOpenFiles = 64 }))
        {
            db.Put(B("persist"), B("yes"));
        }

        using var reopened = RocksDatabase.Open(path);
        Assert.Equal(B("yes"), reopened.Get(B("persist")));
    }

    [Fact]
    public async Task Concurrent_gets_from_several_threads_see_every_value()
    {
        using var db = RocksDatabase.Open(Path.Combine(_root, "db"));
        for (var i = 0; i < 500; i++)
        {
            db.Put(B($"k{i}"), B($"v{i}"));
        }

        db.Flush();
        using var start = new Barrier(8);
        // Dedicated threads: eight blocked pool threads on two cores would wait for thread injection.
        var readers = Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var round = 0; round < 20; round++)
            {
                for (var i = t; i < 500; i += 3)
                {
                    Assert.Equal(B($"v{i}"), db.Get(B($"k{i}")));
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));

        await Task.WhenAll(readers);
    }

    private string WriteSst(string name, string prefix, int count)
    {
        var path = Path.Combine(_root, name);
        using var writer = SstFileWriter.Create(path);
        for (var i = 0; i < count; i++)
        {
            writer.Put(B($"{prefix}{i:D5}"), B(prefix + i));
        }

        writer.Finish();
        return path;
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static string S(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
