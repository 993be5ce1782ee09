using Microsoft.Extensions.Time.Testing;
using OrleansMount.Grains.Snapshots;
using OrleansMount.Storage.Catalog;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// What a <see cref="SnapshotGrain"/> answers, on fake time: one read for callers arriving together, the record
/// from memory until it is <c>RefreshAfter</c> old, a re-import seen after that, a miss or a failure never held, and
/// a caller that already saw a re-import never answered the import before it.
/// </summary>
[UnitTest]
public sealed class SnapshotRecordCacheTests
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();
    private SnapshotRecord? _catalog = Record("id-1");
    private Exception? _failure;
    private readonly SemaphoreSlim _readsStarted = new(0);
    private TaskCompletionSource? _hold;

    [Fact]
    public async Task Callers_arriving_during_a_read_share_it_and_the_record_is_answered_from_memory_until_it_is_RefreshAfter_old()
    {
        var cache = NewCache();
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var answers = Enumerable.Range(0, 16).Select(_ => cache.GetAsync(null)).ToList();
        _hold.SetResult();

        Assert.All(await Task.WhenAll(answers), a => Assert.Equal("id-1", a?.Id));
        Assert.Equal(1, cache.Reads);
        _catalog = Record("id-2");
        _time.Advance(RefreshAfter - TimeSpan.FromMilliseconds(1));
        Assert.Equal("id-1", (await cache.GetAsync(null))?.Id);
        Assert.Equal("id-1", (await cache.GetAsync("id-1"))?.Id);
        Assert.Equal(1, cache.Reads);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("id-2", (await cache.GetAsync(null))?.Id);
        Assert.Equal(2, cache.Reads);
    }

    [Fact]
    public async Task A_caller_expecting_another_id_than_the_one_held_gets_a_fresh_read_at_once()
    {
        var cache = NewCache();
        Assert.Equal("id-1", (await cache.GetAsync(null))?.Id);
        _catalog = Record("id-2");

        Assert.Equal("id-2", (await cache.GetAsync("id-2"))?.Id);
        Assert.Equal("id-2", (await cache.GetAsync(null))?.Id);
        Assert.Equal(2, cache.Reads);

        // A caller pinned to the import before it: answered what the catalog says now, so it can say "replaced".
        Assert.Equal("id-2", (await cache.GetAsync("id-1"))?.Id);
        Assert.Equal(3, cache.Reads);
    }

    [Fact]
    public async Task A_caller_expecting_a_new_id_that_joins_a_read_started_before_it_reads_again()
    {
        var cache = NewCache();
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var early = cache.GetAsync(null);
        await _readsStarted.WaitAsync();
        var pinned = cache.GetAsync("id-2");
        _catalog = Record("id-2");
        _hold.SetResult();

        Assert.Equal("id-1", (await early)?.Id);
        Assert.Equal("id-2", (await pinned)?.Id);
        Assert.Equal(2, cache.Reads);
    }

    [Fact]
    public async Task A_name_without_a_record_and_a_failed_read_are_never_held()
    {
        _catalog = null;
        var cache = NewCache();
        Assert.Null(await cache.GetAsync(null));
        _catalog = Record("id-1");
        Assert.Equal("id-1", (await cache.GetAsync(null))?.Id);

        _time.Advance(RefreshAfter);
        _failure = new IOException("catalog unreachable");
        await Assert.ThrowsAsync<IOException>(() => cache.GetAsync(null));
        _failure = null;
        _catalog = Record("id-3");
        Assert.Equal("id-3", (await cache.GetAsync(null))?.Id);
        Assert.Equal(4, cache.Reads);
    }

    private SnapshotRecordCache NewCache() => new(ReadAsync, _time, RefreshAfter);

    /// <summary>The catalog as it is when the read starts (answered once the hold, if set, is released).</summary>
    private async Task<SnapshotRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        var (record, failure) = (_catalog, _failure);
        _readsStarted.Release();
        if (_hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        return failure is not null ? throw failure : record;
    }

    private static SnapshotRecord Record(string id) => new() { Name = "ds", Id = id, Metarange = "m-" + id, Source = "s3://bucket/ds/" };
}
