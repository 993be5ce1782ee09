using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using System.Diagnostics;
using OrleansMount.Grains.Membership;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Membership;

/// <summary>A real Redis goes away and comes back empty: the silo keeps serving its last view, then registers itself again.</summary>
[IntegrationTest]
public sealed class RedisMembershipResilienceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_silo_keeps_its_view_while_redis_is_down_and_re_registers_when_it_returns_empty()
    {
        using var server = await RedisServer.StartAsync();
        var tableOptions = new RedisMembershipOptions
        {
            Configuration = server.Configuration,
            ClusterId = "resilience",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            OperationTimeout = TimeSpan.FromSeconds(1),
        };
        await using var table = await RedisMembershipTable.ConnectAsync(tableOptions);
        var options = new MembershipOptions
        {
            HeartbeatPeriod = TimeSpan.FromMilliseconds(100),
            RefreshPeriod = TimeSpan.FromMilliseconds(200),
            DeadTimeout = TimeSpan.FromSeconds(5),
        };
        await using var silo = new MembershipService(table, "silo-1", new Uri("http://127.0.0.1:7100"), 1L << 30, "test", options);
        await silo.JoinAsync();
        var view = silo.CurrentView;
        Assert.Equal(["silo-1"], view.Active.Select(m => m.SiloId));

        server.Kill();

        await Until(() => !silo.IsTableAvailable, "the service notices that Redis is gone");
        Assert.False(await silo.RefreshOnceAsync());
        Assert.False(await silo.HeartbeatOnceAsync());
        Assert.Same(view, silo.CurrentView);

        await server.RestartAsync();

        await Until(async () => (await TryReadAsync(table))?.Find("silo-1") is { Status: SiloStatus.Active }, "the silo re-registers itself in the empty Redis");
        await Until(() => silo.IsTableAvailable && silo.CurrentView.Find("silo-1") is not null && !ReferenceEquals(silo.CurrentView, view), "the service reads a fresh view");

        // The pub/sub subscription came back with the connection: another client's change is notified.
        var notified = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        table.Changed += _ => notified.TrySetResult();
        await using (var other = await RedisMembershipTable.ConnectAsync(tableOptions))
        {
            await other.UpsertAsync(new SiloEntry("silo-2", new Uri("http://127.0.0.1:7200"), SiloStatus.Active, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "test"));
            await notified.Task.WaitAsync(Deadline);
            await Until(() => silo.CurrentView.Find("silo-2") is not null, "the service sees the other silo");
            Assert.True(await other.RemoveAsync("silo-2"));
        }

        await silo.LeaveAsync();
        Assert.Empty((await table.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task A_write_refused_while_redis_is_down_fails_at_once_and_is_not_replayed_when_it_returns()
    {
        // StackExchange.Redis 2.5+ queues commands issued while disconnected (its "backlog") and sends
        // them after a reconnect; the table turns that off (BacklogPolicy.FailFast), so an upsert the
        // caller saw fail cannot land later, and it fails without waiting for the operation timeout.
        using var server = await RedisServer.StartAsync();
        var tableOptions = new RedisMembershipOptions
        {
            Configuration = server.Configuration,
            ClusterId = "no-replay",
            ConnectTimeout = TimeSpan.FromMilliseconds(500),
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        await using var table = await RedisMembershipTable.ConnectAsync(tableOptions);
        await table.ReadAllAsync();

        server.Kill();
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<MembershipUnavailableException>(() => table.UpsertAsync(
            new SiloEntry("late", new Uri("http://127.0.0.1:7300"), SiloStatus.Active, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "test")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"a write with Redis down took {clock.Elapsed} to fail (operation timeout 5 s)");

        await server.RestartAsync();
        await Until(async () => await TryReadAsync(table) is not null, "the table reconnects");
        await Task.Delay(1500);
        Assert.Null((await table.ReadAllAsync()).Find("late"));
    }

    private static async Task<MembershipSnapshot?> TryReadAsync(IMembershipTable table)
    {
        try
        {
            return await table.ReadAllAsync();
        }
        catch (MembershipUnavailableException)
        {
            return null;
        }
    }

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Deadline, $"timed out after {Deadline.TotalSeconds} s waiting until {what}");
            await Task.Delay(25);
        }
    }
}
