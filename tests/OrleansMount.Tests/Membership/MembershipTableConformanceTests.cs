using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Tests.Membership;

/// <summary>
/// What every <see cref="IMembershipTable"/> must do, run against each implementation. Each fact
/// uses its own cluster id, so implementations backed by one server do not see each other's rows.
/// </summary>
public abstract class MembershipTableConformanceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan NotificationTimeout = TimeSpan.FromSeconds(10);
    private readonly List<IMembershipTable> _tables = [];

    /// <summary>
    /// A table for <paramref name="clusterId"/>. Two calls with the same id must share state (for
    /// a real store: two independent clients), which is how notifications between clients are tested.
    /// </summary>
    protected abstract Task<IMembershipTable> CreateTableAsync(string clusterId);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var table in _tables)
        {
            switch (table)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    [Fact]
    public async Task A_new_table_is_empty_at_version_zero()
    {
        var table = await NewTableAsync();
        var snapshot = await table.ReadAllAsync();
        Assert.Equal(0, snapshot.Version);
        Assert.Empty(snapshot.Members);
    }

    [Fact]
    public async Task Upsert_then_read_round_trips_every_field()
    {
        var table = await NewTableAsync();
        var entry = new SiloEntry("silo-a", new Uri("http://10.0.0.7:11111"), SiloStatus.Active, 5L << 40,
            T0.AddTicks(1234567), new DateTimeOffset(2025, 3, 1, 14, 0, 1, TimeSpan.FromHours(2)), "1.2.3+abc");

        var version = await table.UpsertAsync(entry);

        var snapshot = await table.ReadAllAsync();
        Assert.Equal(version, snapshot.Version);
        var read = Assert.Single(snapshot.Members);
        Assert.Equal(entry, read);
        Assert.Equal(entry.HeartbeatAt.UtcTicks, read.HeartbeatAt.UtcTicks);
        Assert.Same(read, Assert.Single(snapshot.Active));
    }

    [Fact]
    public async Task Upsert_replaces_the_entry_of_the_same_silo()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a", SiloStatus.Joining));
        await table.UpsertAsync(Entry("b", SiloStatus.Active));
        await table.UpsertAsync(Entry("a", SiloStatus.Active) with { CapacityBytes = 42 });

        var snapshot = await table.ReadAllAsync();
        Assert.Equal(["a", "b"], snapshot.Members.Select(m => m.SiloId));
        Assert.Equal(SiloStatus.Active, snapshot.Find("a")!.Status);
        Assert.Equal(42, snapshot.Find("a")!.CapacityBytes);
    }

    [Fact]
    public async Task Version_increases_on_every_membership_change_and_not_on_heartbeats()
    {
        var table = await NewTableAsync();
        var versions = new List<long>
        {
            await table.UpsertAsync(Entry("a")),
            await table.UpsertAsync(Entry("b")),
            await table.UpsertAsync(Entry("a", SiloStatus.ShuttingDown)),
        };
        Assert.True(await table.DeclareDeadAsync("b"));
        versions.Add((await table.ReadAllAsync()).Version);
        Assert.True(await table.RemoveAsync("a"));
        versions.Add((await table.ReadAllAsync()).Version);

        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());

        await table.UpsertAsync(Entry("c"));
        var before = (await table.ReadAllAsync()).Version;
        Assert.True(await table.HeartbeatAsync("c", T0.AddSeconds(5)));
        Assert.Equal(before, (await table.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task Operations_that_change_nothing_leave_the_version_alone()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));
        var before = (await table.ReadAllAsync()).Version;

        Assert.False(await table.RemoveAsync("missing"));
        Assert.False(await table.DeclareDeadAsync("missing"));
        Assert.False(await table.HeartbeatAsync("missing", T0));

        Assert.Equal(before, (await table.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task Remove_deletes_only_that_entry()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));
        await table.UpsertAsync(Entry("b"));

        Assert.True(await table.RemoveAsync("a"));
        Assert.False(await table.RemoveAsync("a"));

        var snapshot = await table.ReadAllAsync();
        Assert.Equal("b", Assert.Single(snapshot.Members).SiloId);
        Assert.Null(snapshot.Find("a"));
    }

    [Fact]
    public async Task Heartbeat_updates_only_the_heartbeat_time()
    {
        var table = await NewTableAsync();
        var entry = Entry("a");
        await table.UpsertAsync(entry);

        Assert.True(await table.HeartbeatAsync("a", T0.AddSeconds(7)));

        var read = Assert.Single((await table.ReadAllAsync()).Members);
        Assert.Equal(entry with { HeartbeatAt = T0.AddSeconds(7) }, read);
    }

    [Fact]
    public async Task Heartbeat_of_a_dead_silo_is_refused_so_it_must_rejoin()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));
        Assert.True(await table.DeclareDeadAsync("a"));

        Assert.False(await table.HeartbeatAsync("a", T0.AddMinutes(1)));

        var read = Assert.Single((await table.ReadAllAsync()).Members);
        Assert.Equal(SiloStatus.Dead, read.Status);
        Assert.Equal(T0, read.HeartbeatAt);
    }

    [Fact]
    public async Task Declare_dead_marks_the_entry_dead_once()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));
        await table.UpsertAsync(Entry("b"));

        Assert.True(await table.DeclareDeadAsync("a"));
        Assert.False(await table.DeclareDeadAsync("a"));

        var snapshot = await table.ReadAllAsync();
        Assert.Equal(SiloStatus.Dead, snapshot.Find("a")!.Status);
        Assert.Equal(["b"], snapshot.Active.Select(m => m.SiloId));
    }

    [Fact]
    public async Task Declare_dead_with_a_staleness_bound_spares_a_silo_that_heartbeated()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));
        Assert.True(await table.HeartbeatAsync("a", T0.AddSeconds(20)));

        Assert.False(await table.DeclareDeadAsync("a", staleBefore: T0.AddSeconds(20)));
        Assert.Equal(SiloStatus.Active, Assert.Single((await table.ReadAllAsync()).Members).Status);

        Assert.True(await table.DeclareDeadAsync("a", staleBefore: T0.AddSeconds(21)));
        Assert.Equal(SiloStatus.Dead, Assert.Single((await table.ReadAllAsync()).Members).Status);
    }

    [Fact]
    public async Task Concurrent_upserts_from_many_tasks_keep_a_consistent_version()
    {
        const int Tasks = 16;
        const int PerTask = 8;
        var table = await NewTableAsync();
        var start = (await table.ReadAllAsync()).Version;

        var results = await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            var versions = new List<long>();
            for (var i = 0; i < PerTask; i++)
            {
                // Half the writes hit a shared silo, half a silo of the task's own.
                var id = i % 2 == 0 ? "shared" : $"task-{t}";
                versions.Add(await table.UpsertAsync(Entry(id) with { CapacityBytes = (t * 100) + i }));
            }

            return versions;
        })));

        var all = results.SelectMany(v => v).ToArray();
        Assert.Equal(Enumerable.Range(1, Tasks * PerTask).Select(i => start + i), all.Order());
        var snapshot = await table.ReadAllAsync();
        Assert.Equal(start + (Tasks * PerTask), snapshot.Version);
        Assert.Equal(Tasks + 1, snapshot.Members.Count);
    }

    [Fact]
    public async Task Concurrent_heartbeats_and_declare_dead_never_resurrect_a_dead_silo()
    {
        var table = await NewTableAsync();
        await table.UpsertAsync(Entry("a"));

        var heartbeats = Enumerable.Range(1, 20).Select(i => Task.Run(() => table.HeartbeatAsync("a", T0.AddMilliseconds(i)))).ToArray();
        var declare = Task.Run(() => table.DeclareDeadAsync("a"));
        await Task.WhenAll(heartbeats);
        Assert.True(await declare);

        var read = Assert.Single((await table.ReadAllAsync()).Members);
        Assert.Equal(SiloStatus.Dead, read.Status);
        Assert.False(await table.HeartbeatAsync("a", T0.AddMinutes(1)));
    }

    [Fact]
    public async Task A_change_notification_reaches_another_client_of_the_same_cluster()
    {
        var cluster = NewClusterId();
        var writer = await NewTableAsync(cluster);
        var watcher = await NewTableAsync(cluster);
        var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Changed += version => seen.TrySetResult(version);

        var committed = await writer.UpsertAsync(Entry("a"));

        var notified = await seen.Task.WaitAsync(NotificationTimeout);
        Assert.Equal(committed, notified);
    }

    [Fact]
    public async Task Removal_and_declare_dead_are_notified_too()
    {
        var cluster = NewClusterId();
        var writer = await NewTableAsync(cluster);
        var watcher = await NewTableAsync(cluster);
        await writer.UpsertAsync(Entry("a"));
        await writer.UpsertAsync(Entry("b"));
        var expected = (await writer.ReadAllAsync()).Version + 2;
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Changed += version =>
        {
            if (version >= expected)
            {
                reached.TrySetResult();
            }
        };

        Assert.True(await writer.DeclareDeadAsync("a"));
        Assert.True(await writer.RemoveAsync("b"));

        await reached.Task.WaitAsync(NotificationTimeout);
    }

    [Fact]
    public async Task Clusters_do_not_see_each_other()
    {
        var first = await NewTableAsync();
        var second = await NewTableAsync();
        await first.UpsertAsync(Entry("a"));

        var snapshot = await second.ReadAllAsync();
        Assert.Empty(snapshot.Members);
        Assert.Equal(0, snapshot.Version);
    }

    protected static SiloEntry Entry(string id, SiloStatus status = SiloStatus.Active) =>
        new(id, new Uri($"http://127.0.0.1:{20000 + (Math.Abs(id.GetHashCode(StringComparison.Ordinal)) % 10000)}"), status, 1L << 30, T0, T0, "test");

    private static string NewClusterId() => $"t{Guid.NewGuid():N}"[..17];

    private Task<IMembershipTable> NewTableAsync() => NewTableAsync(NewClusterId());

    private async Task<IMembershipTable> NewTableAsync(string clusterId)
    {
        var table = await CreateTableAsync(clusterId);
        _tables.Add(table);
        return table;
    }
}
