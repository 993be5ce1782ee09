using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

[UnitTest]
public sealed class FileObjectStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orleansmount-filestore-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task List_OfAMissingRoot_NamesTheDirectory()
    {
        var missing = Path.Combine(_root, "not-here");
        using var store = new FileObjectStore(StoreUri.File(missing));

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () =>
        {
            await foreach (var unused in store.ListAsync(""))
            {
            }
        });

        Assert.StartsWith($"directory {missing} does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ETag_IsDerivedFromMtimeAndSize()
    {
        using var store = new FileObjectStore(StoreUri.File(_root));
        var path = Path.Combine(_root, "f.bin");
        await File.WriteAllBytesAsync(path, new byte[300]);
        var mtime = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234);
        File.SetLastWriteTimeUtc(path, mtime);

        var head = await store.HeadAsync("f.bin");

        Assert.Equal($"{mtime.Ticks:x}-12c", head!.ETag);
        Assert.Equal(new DateTimeOffset(mtime), head.LastModified);
    }

    [Fact]
    public async Task InFlightTemporaryFilesAreNotListed()
    {
        using var store = new FileObjectStore(StoreUri.File(_root));
        await File.WriteAllBytesAsync(Path.Combine(_root, FileObjectStore.TempFilePrefix + "abc"), [1]);
        await store.PutAsync("real", new byte[] { 2 });

        var keys = new List<string>();
        await foreach (var info in store.ListAsync(""))
        {
            keys.Add(info.Key);
        }

        Assert.Equal(["real"], keys);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("./a")]
    [InlineData("")]
    public async Task KeysThatWouldLeaveTheRootAreRejected(string key)
    {
        using var store = new FileObjectStore(StoreUri.File(_root));

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, new byte[] { 1 }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.HeadAsync(key));
    }

    [Fact]
    public void TheFactoryOpensAFileStoreForFileUris()
    {
        using var store = ObjectStoreFactory.Open(StoreUri.Parse("file://" + _root));

        Assert.IsType<FileObjectStore>(store);
        Assert.Equal(_root, store.Root.Bucket);
    }
}
