using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>
/// The conformance suite against s3rver through the latency proxy: listings, paginated listings,
/// ranged reads, single and multipart uploads, missing buckets and keys all pass through it with
/// their SigV4 signatures intact.
/// </summary>
[Collection(ProxiedS3rverCollection.Name)]
[IntegrationTest]
public sealed class ProxiedS3ObjectStoreConformanceTests(ProxiedS3rver fixture) : ObjectStoreConformanceTests
{
    // s3rver walks its data directory, listing "a/b" before "a.txt" (see S3rverServer).
    protected override bool ListsNamesBeforeSlashInByteOrder => false;

    protected override async Task<IObjectStore> CreateStoreAsync()
    {
        var bucket = await fixture.Server.CreateUniqueBucketAsync();
        return Track(fixture.CreateStore(StoreUri.S3(bucket), o => o with { MultipartThreshold = SmallMultipartThreshold, MultipartPartSize = SmallPartSize }));
    }

    protected override Task<IObjectStore> CreateMissingStoreAsync() =>
        Task.FromResult<IObjectStore>(Track(fixture.CreateStore(StoreUri.S3($"missing-{Guid.NewGuid():N}"))));

    // Small seeds are PUT through the proxy (uploads under test); the large listing trees use
    // s3rver's on-disk layout, where thousands of PUTs would take minutes.
    protected override Task SeedAsync(IObjectStore store, IReadOnlyList<(string Key, byte[] Data)> objects)
    {
        if (objects.Count <= 50)
        {
            return base.SeedAsync(store, objects);
        }

        foreach (var (key, data) in objects)
        {
            fixture.Server.SeedObject(store.Root.Bucket, key, data);
        }

        return Task.CompletedTask;
    }
}
