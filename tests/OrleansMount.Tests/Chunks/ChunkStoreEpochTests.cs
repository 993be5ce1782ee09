using OrleansMount.Core;
using OrleansMount.Core.Caching;
using OrleansMount.Storage.Chunks;
using OrleansMount.Tests.Caching;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Chunks;

/// <summary>
/// The epoch policy as the real <see cref="ChunkStore"/> (files, RocksDB catalog) applies it: the
/// store's hits follow <see cref="ResidentSetPolicy{TKey}"/> access for access, and its resident
/// set survives a restart.
/// </summary>
[UnitTest]
public sealed class ChunkStoreEpochTests(ITestOutputHelper output) : IDisposable
{
    private const int ChunkLength = 512;
    private const int CapacityChunks = 40;
    private const int DataSetChunks = 2 * CapacityChunks;

    private readonly TempDirectory _root = new("om-epoch-test-");
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Shuffled_epochs_through_the_store_hit_what_the_policy_predicts_and_survive_a_restart()
    {
        var epochs = EpochTrace.Epochs(0, DataSetChunks, 8, seed: 21).ToList();
        var model = new ResidentSetPolicy<int>(CapacityChunks * (long)ChunkLength);
        var predict = EpochTrace.Through(model, size: _ => ChunkLength);

        var measured = new List<double>();
        var predicted = new List<double>();
        using (var store = NewStore())
        {
            foreach (var order in epochs.Take(5))
            {
                measured.Add(await RunEpochAsync(store, order));
                predicted.Add(order.Count(predict) / (double)order.Length);
                Assert.True(store.UsedBytes <= store.CapacityBytes);
            }

            Assert.True(store.Evictions > 0, "the trace must put the store under eviction pressure");
            Assert.True(store.ResidentBytes >= (CapacityChunks - 2) * (long)ChunkLength, $"resident set of {store.ResidentBytes} bytes");
        }

        // Same accesses, same hits: the store's admission and eviction is the policy's.
        output.WriteLine($"store:  {EpochTrace.Format([.. measured])}");
        output.WriteLine($"policy: {EpochTrace.Format([.. predicted])}");
        Assert.Equal(predicted, measured);
        Assert.All(measured.Skip(1), rate => Assert.True(rate >= 0.4, $"hit rate {rate:0.000}"));

        // Restarted, the store restores its chunks as the resident set and training resumes hitting.
        using var restarted = NewStore();
        Assert.Equal(CapacityChunks, restarted.ChunkCount);
        var after = new List<double>();
        foreach (var order in epochs.Skip(5))
        {
            after.Add(await RunEpochAsync(restarted, order));
        }

        output.WriteLine($"after a restart: {EpochTrace.Format([.. after])}");
        Assert.All(after, rate => Assert.True(rate >= 0.4, $"hit rate {rate:0.000} after the restart"));
        Assert.Equal(0, restarted.CorruptionsDetected);
    }

    [Fact]
    public async Task A_near_copy_does_not_displace_the_resident_set_an_owned_new_chunk_does()
    {
        using var store = NewStore();
        for (var k = 0; k < CapacityChunks; k++)
        {
            Assert.True(await store.PutAsync(Id(k), Data(k), CancellationToken.None));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var residents = store.ResidentBytes;
        Assert.True(await store.PutAsync(Id(1000), Data(1000), ChunkOrigin.NearCopy, CancellationToken.None));
        Assert.Equal(CacheSegment.Probation, store.SegmentOf(Id(1000)));
        Assert.True(store.Contains(Id(1000))); // stored all the same: the reader that asked opens it

        Assert.True(await store.PutAsync(Id(2000), Data(2000), ChunkOrigin.Owned, CancellationToken.None));
        Assert.Equal(CacheSegment.Resident, store.SegmentOf(Id(2000)));
        Assert.True(store.ResidentBytes >= residents - ChunkLength, "an owned new chunk replaces one resident, no more");
        Assert.True(store.UsedBytes <= store.CapacityBytes);
    }

    private async Task<double> RunEpochAsync(ChunkStore store, int[] order)
    {
        var hits = 0;
        foreach (var key in order)
        {
            _time.Advance(TimeSpan.FromSeconds(1)); // every access is persisted as the chunk's last access
            using (var handle = store.TryOpen(Id(key)))
            {
                if (handle is not null)
                {
                    Assert.Equal(ChunkLength, handle.Length);
                    hits++;
                    continue;
                }
            }

            Assert.True(await store.PutAsync(Id(key), Data(key), CancellationToken.None));
        }

        return hits / (double)order.Length;
    }

    private static ChunkId Id(int key)
    {
        var bytes = new byte[ObjectIdentity.Length];
        BitConverter.TryWriteBytes(bytes, key);
        return new ChunkId(ObjectIdentity.FromBytes(bytes), key % 3);
    }

    private static byte[] Data(int key)
    {
        var bytes = new byte[ChunkLength];
        new Random(key).NextBytes(bytes);
        return bytes;
    }

    private ChunkStore NewStore() =>
        new(new ChunkStoreOptions { Directory = _root.Path, CapacityBytes = CapacityChunks * (long)ChunkLength }, null, _time);
}
