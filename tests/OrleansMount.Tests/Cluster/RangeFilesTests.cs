using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Core;
using OrleansMount.Grains.Ranges;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// The range files a silo keeps for its peers: its <see cref="RangeGrain"/> and the peer range endpoint share one
/// <see cref="RangeFile"/> per file, so readers arriving together cost one catalog read and never take a fill in
/// progress for a damaged file; a file damaged on disk is still found, counted and read again.
/// </summary>
[UnitTest]
public sealed class RangeFilesTests : IDisposable
{
    private static readonly StoreUri CatalogRoot = StoreUri.S3("catalog");
    private readonly TempDirectory _temp = new("om-rangefiles-");
    private readonly CountingObjectStore _store = new(new InMemoryObjectStore(CatalogRoot));
    private readonly SnapshotCatalog _catalog;
    private readonly NodeCounters _counters = new();
    private readonly RangeFiles _files;
    private readonly byte[] _bytes = new byte[100_000];
    private readonly CatalogFile _file;

    public RangeFilesTests()
    {
        _catalog = new SnapshotCatalog(_store, CatalogRoot);
        _files = new RangeFiles(_catalog, _temp.Sub("ranges"), _counters);
        Random.Shared.NextBytes(_bytes);
        var id = new RangeId(Hash128.Of(_bytes));
        _file = new CatalogFile(CatalogFileKind.Range, id.Hash, _catalog.RangeKey(id));
        _store.PutAsync(_file.Key, _bytes).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Readers_arriving_together_through_the_grain_and_the_endpoint_cost_one_catalog_read_and_see_no_damage()
    {
        const int Readers = 16;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.HoldReadsOf(_file.Key, release.Task);

        // Every reader takes the file as its caller does (the grain once, the endpoint per request); the first one's
        // catalog read is held, and the others start while it is in flight.
        var first = _files.Of(_file, NullLogger.Instance).ReadAsync(CancellationToken.None);
        while (_store.ReadsOf(_file.Key) == 0)
        {
            Assert.False(first.IsCompleted, $"the first read ended without reading the catalog: {first.Exception?.Message}");
            await Task.Yield();
        }

        var reads = Enumerable.Range(1, Readers - 1).Select(_ => _files.Of(_file, NullLogger.Instance).ReadAsync(CancellationToken.None)).Prepend(first).ToList();
        release.SetResult();

        Assert.All(await Task.WhenAll(reads), b => Assert.True(_bytes.AsSpan().SequenceEqual(b)));
        Assert.Same(_files.Of(_file, NullLogger.Instance), _files.Of(_file, NullLogger.Instance));
        Assert.Equal(1, _store.ReadsOf(_file.Key));
        Assert.Equal((1, 0), (_counters.RangesFromCatalog, _counters.RangeCorruptions));
    }

    [Fact]
    public async Task A_file_damaged_on_disk_is_counted_and_read_from_the_catalog_again()
    {
        var range = _files.Of(_file, NullLogger.Instance);
        var before = await range.ReadAsync(CancellationToken.None);
        Assert.True(_bytes.AsSpan().SequenceEqual(before));
        var path = RangeFile.PathIn(Path.Combine(_temp.Path, "ranges"), _file);
        var damaged = File.ReadAllBytes(path);
        damaged[500] ^= 0xFF;
        File.WriteAllBytes(path, damaged);

        var after = await _files.Of(_file, NullLogger.Instance).ReadAsync(CancellationToken.None);
        Assert.True(_bytes.AsSpan().SequenceEqual(after));
        Assert.Equal((2, 1), (_counters.RangesFromCatalog, _counters.RangeCorruptions));
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _store.Dispose();
        _temp.Dispose();
    }
}
