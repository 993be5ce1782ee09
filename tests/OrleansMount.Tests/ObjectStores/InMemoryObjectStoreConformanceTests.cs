using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

[UnitTest]
public sealed class InMemoryObjectStoreConformanceTests : ObjectStoreConformanceTests
{
    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(Track(new InMemoryObjectStore()));

    protected override Task<IObjectStore> CreateMissingStoreAsync() =>
        Task.FromResult<IObjectStore>(Track(new InMemoryObjectStore(StoreUri.S3("no-such-bucket"), bucketExists: false)));
}
