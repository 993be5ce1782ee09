using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>The conformance suite against a real s3rver, one bucket per fact.</summary>
[Collection(S3rverCollection.Name)]
[IntegrationTest]
public sealed class S3ObjectStoreConformanceTests : ObjectStoreConformanceTests
{
    private readonly S3rverServer _server;

    public S3ObjectStoreConformanceTests(S3rverServer server)
    {
        _server = server;
    }

    // s3rver walks its data directory, listing "a/b" before "a.txt" (see S3rverServer).
    protected override bool ListsNamesBeforeSlashInByteOrder => false;

    protected override async Task<IObjectStore> CreateStoreAsync()
    {
        var bucket = await _server.CreateUniqueBucketAsync();
        return Track(_server.CreateStore(StoreUri.S3(bucket), o => o with { MultipartThreshold = SmallMultipartThreshold, MultipartPartSize = SmallPartSize }));
    }

    protected override Task<IObjectStore> CreateMissingStoreAsync() =>
        Task.FromResult<IObjectStore>(Track(_server.CreateStore(StoreUri.S3($"missing-{Guid.NewGuid():N}"))));

    // Writing s3rver's on-disk layout takes milliseconds where thousands of PUTs take minutes.
    protected override Task SeedAsync(IObjectStore store, IReadOnlyList<(string Key, byte[] Data)> objects)
    {
        foreach (var (key, data) in objects)
        {
            _server.SeedObject(store.Root.Bucket, key, data);
        }

        return Task.CompletedTask;
    }
}
