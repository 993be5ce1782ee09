using System.Text;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>
/// The behaviour every <see cref="IObjectStore"/> must have. Derived classes supply fresh, empty
/// stores; each fact gets its own store (its own bucket or directory).
/// </summary>
public abstract class ObjectStoreConformanceTests : IAsyncLifetime
{
    /// <summary>The multipart threshold stores from <see cref="CreateStoreAsync"/> should use, so a test file of a few MiB exercises multipart uploads.</summary>
    protected const long SmallMultipartThreshold = 1L << 20;

    /// <summary>The part size to pair with <see cref="SmallMultipartThreshold"/>.</summary>
    protected const long SmallPartSize = 384L << 10;

    private readonly List<IDisposable> _cleanup = [];

    /// <summary>
    /// Whether the store lists a name that sorts before '/' (space, '-', '.') in byte order relative
    /// to a directory of the same stem ("a.txt" before "a/b"). Real S3 and the file and in-memory
    /// stores do; s3rver does not, and then the listing must still hold every key (consumers that need order sort).
    /// </summary>
    protected virtual bool ListsNamesBeforeSlashInByteOrder => true;

    /// <summary>A new, empty store; PutFileAsync switches to multipart above <see cref="SmallMultipartThreshold"/> where that applies.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>A store whose bucket (or root directory) does not exist.</summary>
    protected abstract Task<IObjectStore> CreateMissingStoreAsync();

    /// <summary>Puts objects into a store from <see cref="CreateStoreAsync"/>; overridden where a faster back door exists.</summary>
    protected virtual async Task SeedAsync(IObjectStore store, IReadOnlyList<(string Key, byte[] Data)> objects)
    {
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(objects.Select(async o =>
        {
            await gate.WaitAsync();
            try
            {
                await store.PutAsync(o.Key, o.Data);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Disposes <paramref name="item"/> after the test.</summary>
    protected T Track<T>(T item)
        where T : IDisposable
    {
        lock (_cleanup)
        {
            _cleanup.Add(item);
        }

        return item;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        foreach (var item in _cleanup)
        {
            item.Dispose();
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task List_ReturnsEveryKeyInUtf8ByteOrder_WithUnicodeSpacesAndNestedPrefixes()
    {
        var store = await CreateStoreAsync();
        string[] keys =
        [
            "zeta.txt", "Alpha.txt", "alpha.txt", "a b c.txt", "10.bin", "9.bin", "~tilde",
            "dir/x.bin", "dir/inner/deeper/er.bin", "dir/inner/deep.bin", "dir/with space/f.bin", "dir2/y.bin",
            "é.txt", "e\u0301.txt", "\uFF71.txt", "\U0001F600.txt", "\u4E2D\u6587/\u6587\u4EF6.txt",
        ];
        await SeedAsync(store, keys.Select(k => (k, Encoding.UTF8.GetBytes("content of " + k))).ToList());

        var listed = await ListKeysAsync(store, "");

        Assert.Equal(SortByUtf8Bytes(keys), listed);
    }

    [Fact]
    public async Task List_PutsNamesThatSortBeforeSlashBeforeTheirDirectory()
    {
        var store = await CreateStoreAsync();
        string[] keys = ["data/x.bin", "data.csv", "data-1.bin", "data 2.bin", "data0.bin"];
        await SeedAsync(store, keys.Select(k => (k, new byte[] { 1 })).ToList());

        if (ListsNamesBeforeSlashInByteOrder)
        {
            Assert.Equal(SortByUtf8Bytes(keys), await ListKeysAsync(store, ""));
        }
        else
        {
            // The same keys, in the server's own order: the importer sorts what it lists.
            Assert.Equal(SortByUtf8Bytes(keys), SortByUtf8Bytes(await ListKeysAsync(store, "")));
        }
    }

    [Fact]
    public async Task List_PagesThroughMoreThanAThousandKeys()
    {
        var store = await CreateStoreAsync();
        var keys = Enumerable.Range(0, 1500).Select(i => $"many/{i / 100:D2}/{i:D5}.bin").ToList();
        await SeedAsync(store, keys.Select(k => (k, Encoding.UTF8.GetBytes(k))).ToList());

        var listed = new List<ObjectInfo>();
        await foreach (var info in store.ListAsync("many/"))
        {
            listed.Add(info);
        }

        Assert.Equal(keys, listed.Select(i => i.Key));
        Assert.All(listed, i => Assert.Equal(Encoding.UTF8.GetByteCount(i.Key), i.Size));
    }

    [Fact]
    public async Task List_ReturnsOnlyKeysWithThePrefix()
    {
        var store = await CreateStoreAsync();
        string[] keys = ["p/a", "p/b/c", "p/bb", "pa", "pb/x", "q/p/a", "r"];
        await SeedAsync(store, keys.Select(k => (k, new byte[] { 7 })).ToList());

        Assert.Equal(["p/a", "p/b/c", "p/bb"], await ListKeysAsync(store, "p/"));
        Assert.Equal(["p/b/c", "p/bb"], await ListKeysAsync(store, "p/b"));
        Assert.Equal(["p/b/c"], await ListKeysAsync(store, "p/b/"));
        Assert.Equal(["pa"], await ListKeysAsync(store, "pa"));
        Assert.Equal(["q/p/a"], await ListKeysAsync(store, "q"));
        Assert.Empty(await ListKeysAsync(store, "nothing/"));
        Assert.Empty(await ListKeysAsync(store, "p/a/"));
        Assert.Equal(SortByUtf8Bytes(keys), await ListKeysAsync(store, ""));
    }

    [Fact]
    public async Task List_OfAnEmptyStoreIsEmpty()
    {
        var store = await CreateStoreAsync();

        Assert.Empty(await ListKeysAsync(store, ""));
    }

    [Fact]
    public async Task Head_DescribesAnObjectLikeTheListingDoes()
    {
        var store = await CreateStoreAsync();
        var before = DateTimeOffset.UtcNow.AddMinutes(-5);
        await store.PutAsync("dir/object.bin", RandomBytes(1234, 1));

        var head = await store.HeadAsync("dir/object.bin");
        var listed = Assert.Single(await ListAsync(store, ""));

        Assert.NotNull(head);
        Assert.Equal("dir/object.bin", head.Key);
        Assert.Equal(1234, head.Size);
        Assert.False(string.IsNullOrEmpty(head.ETag));
        Assert.DoesNotContain('"', head.ETag);
        Assert.InRange(head.LastModified, before, DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(head.Key, listed.Key);
        Assert.Equal(head.Size, listed.Size);
        Assert.Equal(head.ETag, listed.ETag);
    }

    [Fact]
    public async Task Head_OfAMissingKeyOrADirectoryIsNull()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("dir/object.bin", new byte[] { 1, 2, 3 });

        Assert.Null(await store.HeadAsync("missing.bin"));
        Assert.Null(await store.HeadAsync("dir"));
        Assert.Null(await store.HeadAsync("dir/object.bin/below"));
    }

    [Theory]
    [InlineData(0, 100, 100)]
    [InlineData(450, 100, 100)]
    [InlineData(900, 100, 100)]
    [InlineData(950, 100, 50)]
    [InlineData(999, 1, 1)]
    [InlineData(0, 4096, 1000)]
    [InlineData(1000, 100, 0)]
    [InlineData(5000, 100, 0)]
    public async Task Read_ReturnsTheRequestedRange(long offset, int length, int expected)
    {
        var store = await CreateStoreAsync();
        var content = RandomBytes(1000, 2);
        await store.PutAsync("ranged.bin", content);
        var etag = (await store.HeadAsync("ranged.bin"))!.ETag;

        foreach (var ifMatch in new[] { null, etag })
        {
            var buffer = new byte[length];
            var read = await store.ReadAsync("ranged.bin", offset, buffer, ifMatch);

            Assert.Equal(expected, read);
            Assert.Equal(content.AsSpan((int)Math.Min(offset, content.Length), expected).ToArray(), buffer.AsSpan(0, read).ToArray());
        }
    }

    [Fact]
    public async Task ZeroByteObjects_ListHeadAndReadAsEmpty()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("empty", ReadOnlyMemory<byte>.Empty);

        var head = await store.HeadAsync("empty");
        var listed = Assert.Single(await ListAsync(store, ""));
        var read = await store.ReadAsync("empty", 0, new byte[16], head!.ETag);

        Assert.Equal(0, head.Size);
        Assert.Equal(0, listed.Size);
        Assert.Equal(0, read);
        Assert.Equal(0, await store.ReadAsync("empty", 0, Memory<byte>.Empty, null));
    }

    [Fact]
    public async Task Read_WithAStaleETag_ThrowsObjectChanged()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("changing.bin", RandomBytes(100, 3));
        var oldETag = (await store.HeadAsync("changing.bin"))!.ETag;

        // Same size, different bytes: only the ETag tells them apart.
        await store.PutAsync("changing.bin", RandomBytes(100, 4));
        var newETag = (await store.HeadAsync("changing.bin"))!.ETag;

        Assert.NotEqual(oldETag, newETag);
        var buffer = new byte[10];
        var changed = await Assert.ThrowsAsync<ObjectChangedException>(() => store.ReadAsync("changing.bin", 0, buffer, oldETag));
        Assert.Equal(oldETag, changed.ExpectedETag);
        Assert.Contains("changing.bin", changed.Message, StringComparison.Ordinal);
        Assert.All(buffer, b => Assert.Equal(0, b));
        await Assert.ThrowsAsync<ObjectChangedException>(() => store.ReadAsync("changing.bin", 0, new byte[10], "not-the-etag"));
        await Assert.ThrowsAsync<ObjectChangedException>(() => store.ReadAsync("changing.bin", 500, new byte[10], oldETag));
        Assert.Equal(10, await store.ReadAsync("changing.bin", 0, new byte[10], newETag));
    }

    [Fact]
    public async Task Read_WithProgress_ReportsHowFarItGot_AndNothingForAStaleETag()
    {
        var store = await CreateStoreAsync();
        var content = RandomBytes(300_000, 9);
        await store.PutAsync("progress.bin", content);
        var etag = (await store.HeadAsync("progress.bin"))!.ETag;

        var reports = new List<int>();
        var buffer = new byte[200_000];
        var read = await store.ReadAsync("progress.bin", 50_000, buffer, etag, n =>
        {
            // Every report is a promise about the bytes already in the buffer.
            Assert.True(buffer.AsSpan(0, n).SequenceEqual(content.AsSpan(50_000, n)), $"progress said {n} bytes but the buffer does not hold them");
            lock (reports)
            {
                reports.Add(n);
            }
        });

        Assert.Equal(200_000, read);
        Assert.Equal(content.AsSpan(50_000, 200_000).ToArray(), buffer);
        Assert.NotEmpty(reports);
        Assert.Equal(200_000, reports[^1]);
        Assert.Equal(reports.Order(), reports); // no retry here, so never back

        var stale = new List<int>();
        await store.PutAsync("progress.bin", RandomBytes(300_000, 10));
        await Assert.ThrowsAsync<ObjectChangedException>(() => store.ReadAsync("progress.bin", 0, new byte[100], etag, stale.Add));
        Assert.Empty(stale);
    }

    [Fact]
    public async Task Read_OfAMissingKey_ThrowsObjectNotFound()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("present.bin", new byte[] { 1 });

        var missing = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.ReadAsync("absent/file.bin", 0, new byte[10], null));
        Assert.Contains("absent/file.bin", missing.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.ReadAsync("absent.bin", 0, new byte[10], "some-etag"));
    }

    [Fact]
    public async Task Put_ThenRead_RoundTripsAndOverwrites()
    {
        var store = await CreateStoreAsync();
        var first = RandomBytes(4096, 5);
        var second = RandomBytes(10, 6);

        await store.PutAsync("a/b/c/file.bin", first);
        Assert.Equal(first, await ReadAllAsync(store, "a/b/c/file.bin", 4096));

        await store.PutAsync("a/b/c/file.bin", second);
        Assert.Equal(second, await ReadAllAsync(store, "a/b/c/file.bin", 4096));
        Assert.Equal(10, (await store.HeadAsync("a/b/c/file.bin"))!.Size);
        Assert.Equal(["a/b/c/file.bin"], await ListKeysAsync(store, ""));
    }

    [Fact]
    public async Task Put_OfASlicedBuffer_WritesOnlyTheSlice()
    {
        var store = await CreateStoreAsync();
        var backing = RandomBytes(100, 7);

        await store.PutAsync("slice.bin", backing.AsMemory(10, 20));

        Assert.Equal(backing.AsSpan(10, 20).ToArray(), await ReadAllAsync(store, "slice.bin", 100));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData((int)SmallMultipartThreshold + (3 * (int)SmallPartSize) + 12_345)]
    public async Task PutFile_UploadsTheFile(int size)
    {
        var store = await CreateStoreAsync();
        var content = RandomBytes(size, 8);
        var path = Path.Combine(Path.GetTempPath(), $"orleansmount-putfile-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(path, content);
        try
        {
            await store.PutFileAsync("uploads/file.bin", path);
        }
        finally
        {
            File.Delete(path);
        }

        var head = await store.HeadAsync("uploads/file.bin");
        Assert.Equal(size, head!.Size);
        Assert.Equal(content, await ReadAllAsync(store, "uploads/file.bin", 256 << 10, head.ETag));
        Assert.Equal(head.ETag, Assert.Single(await ListAsync(store, "uploads/")).ETag);
    }

    [Fact]
    public async Task List_OfAMissingBucketOrDirectory_ThrowsObjectStoreException()
    {
        var store = await CreateMissingStoreAsync();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => ListKeysAsync(store, ""));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    protected static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static async Task<List<ObjectInfo>> ListAsync(IObjectStore store, string prefix)
    {
        var result = new List<ObjectInfo>();
        await foreach (var info in store.ListAsync(prefix))
        {
            result.Add(info);
        }

        return result;
    }

    protected static async Task<List<string>> ListKeysAsync(IObjectStore store, string prefix) =>
        (await ListAsync(store, prefix)).Select(i => i.Key).ToList();

    protected static List<string> SortByUtf8Bytes(IEnumerable<string> keys) =>
        keys.OrderBy(k => Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key, int chunk, string? ifMatch = null)
    {
        using var result = new MemoryStream();
        var buffer = new byte[chunk];
        for (long offset = 0; ; offset += chunk)
        {
            var read = await store.ReadAsync(key, offset, buffer, ifMatch);
            result.Write(buffer, 0, read);
            if (read < chunk)
            {
                return result.ToArray();
            }
        }
    }
}
