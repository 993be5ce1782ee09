using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

[UnitTest]
public sealed class FileObjectStoreConformanceTests : ObjectStoreConformanceTests
{
    private readonly List<string> _directories = [];

    protected override Task<IObjectStore> CreateStoreAsync()
    {
        var directory = Directory.CreateTempSubdirectory("orleansmount-filestore-").FullName;
        _directories.Add(directory);
        return Task.FromResult<IObjectStore>(Track(new FileObjectStore(StoreUri.File(directory))));
    }

    protected override Task<IObjectStore> CreateMissingStoreAsync() =>
        Task.FromResult<IObjectStore>(Track(new FileObjectStore(StoreUri.File(Path.Combine(Path.GetTempPath(), $"orleansmount-missing-{Guid.NewGuid():N}")))));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
