using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>S3-specific behaviour against a real s3rver: error messages and the seeding back door.</summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class S3ObjectStoreTests
{
    private readonly S3rverServer _server;

    public S3ObjectStoreTests(S3rverServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task WrongCredentials_SayAccessDeniedAndWhichVariablesToCheck()
    {
        var bucket = await _server.CreateUniqueBucketAsync();
        using var store = _server.CreateStore(StoreUri.S3(bucket), o => o with { AccessKey = "WRONG", SecretKey = "WRONG" });

        var list = await Assert.ThrowsAsync<ObjectStoreException>(() => Drain(store.ListAsync("")));
        var read = await Assert.ThrowsAsync<ObjectStoreException>(() => store.ReadAsync("k", 0, new byte[1], null));

        Assert.Equal($"access denied to s3://{bucket}: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (InvalidAccessKeyId)", list.Message);
        Assert.StartsWith($"access denied to s3://{bucket}", read.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingBucket_IsNamedInTheMessage()
    {
        using var store = _server.CreateStore(StoreUri.S3("no-such-bucket-here"));

        var list = await Assert.ThrowsAsync<ObjectStoreException>(() => Drain(store.ListAsync("")));
        var read = await Assert.ThrowsAsync<ObjectStoreException>(() => store.ReadAsync("k", 0, new byte[1], null));
        var put = await Assert.ThrowsAsync<ObjectStoreException>(() => store.PutAsync("k", new byte[1]));

        Assert.All(new[] { list, read, put }, e => Assert.StartsWith("bucket no-such-bucket-here does not exist", e.Message, StringComparison.Ordinal));
        Assert.IsNotType<ObjectNotFoundException>(read);
    }

    [Fact]
    public async Task AnEndpointWithNothingListening_SaysCannotReachWithinSeconds()
    {
        var endpoint = $"http://127.0.0.1:{UnusedPort()}";
        using var store = new S3ObjectStore(StoreUri.S3("bucket"), _server.Options with { ServiceUrl = endpoint });
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ObjectStoreException>(() => Drain(store.ListAsync("")));

        Assert.StartsWith($"cannot reach the object store at {endpoint}: ", error.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var head = await Assert.ThrowsAsync<ObjectStoreException>(() => store.HeadAsync("k"));
        Assert.StartsWith("cannot reach the object store", head.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeededObjects_LookExactlyLikeUploadedOnes()
    {
        var bucket = await _server.CreateUniqueBucketAsync();
        using var store = _server.CreateStore(StoreUri.S3(bucket));
        var content = Encoding.UTF8.GetBytes("the same bytes, two ways in");

        await store.PutAsync("put/object.bin", content);
        _server.SeedObject(bucket, "seeded/object.bin", content);

        var put = await store.HeadAsync("put/object.bin");
        var seeded = await store.HeadAsync("seeded/object.bin");
        var listed = new List<ObjectInfo>();
        await foreach (var info in store.ListAsync(""))
        {
            listed.Add(info);
        }

        var buffer = new byte[100];
        var read = await store.ReadAsync("seeded/object.bin", 4, buffer, seeded!.ETag);

        Assert.Equal(put!.ETag, seeded.ETag);
        Assert.Equal(put.Size, seeded.Size);
        Assert.Equal(["put/object.bin", "seeded/object.bin"], listed.Select(i => i.Key));
        Assert.All(listed, i => Assert.Equal(put.ETag, i.ETag));
        Assert.Equal(content.AsSpan(4).ToArray(), buffer.AsSpan(0, read).ToArray());
        var bucketDir = Path.Combine(_server.DataDirectory, bucket);
        Assert.Equal(
            File.ReadAllText(Path.Combine(bucketDir, "put", "object.bin._S3rver_object.md5")),
            File.ReadAllText(Path.Combine(bucketDir, "seeded", "object.bin._S3rver_object.md5")));
    }

    [Fact]
    public async Task ETags_AreUnquotedMd5s()
    {
        var bucket = await _server.CreateUniqueBucketAsync();
        using var store = _server.CreateStore(StoreUri.S3(bucket));

        await store.PutAsync("k", Encoding.UTF8.GetBytes("hello world"));

        Assert.Equal("5eb63bbbe01eeed093cb22bb8f5acdc3", (await store.HeadAsync("k"))!.ETag);
    }

    [Fact]
    public void TheFactoryOpensAnS3StoreForS3Uris()
    {
        using var store = ObjectStoreFactory.Open(StoreUri.S3("some-bucket"), _server.Options);

        var s3 = Assert.IsType<S3ObjectStore>(store);
        Assert.Equal(_server.Endpoint, s3.Endpoint);
    }

    private static async Task Drain(IAsyncEnumerable<ObjectInfo> items)
    {
        await foreach (var unused in items)
        {
        }
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
