using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using OrleansMount.Grains.Membership;
using OrleansMount.Tests.Chunks;

namespace OrleansMount.Tests.Membership;

/// <summary>
/// The membership agent on a manual clock: the background loops are off and each test drives
/// heartbeat, refresh and dead detection itself, so nothing waits on real time.
/// </summary>
[UnitTest]
public sealed class MembershipServiceTests : IAsyncLifetime
{
    private static readonly MembershipOptions ManualLoops = new()
    {
        HeartbeatPeriod = TimeSpan.FromSeconds(2),
        RefreshPeriod = TimeSpan.FromSeconds(3),
        DeadTimeout = TimeSpan.FromSeconds(10),
        DeadEntryRetention = TimeSpan.FromMinutes(1),
        RunBackgroundLoops = false,
    };

    private readonly ManualTimeProvider _clock = new();
    private readonly List<MembershipService> _services = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task Join_goes_through_joining_to_active_and_leave_through_shutting_down_to_removed()
    {
        var table = new InMemoryMembershipTable();
        var statuses = new List<SiloStatus?>();
        table.Changed += _ => statuses.Add(table.ReadAllAsync().Result.Find("a")?.Status);
        var a = Service(table, "a");

        await a.JoinAsync();

        Assert.Equal([SiloStatus.Joining, SiloStatus.Active], statuses);
        Assert.Equal(SiloStatus.Active, Assert.Single(a.CurrentView.Active).Status);
        Assert.Equal(a.CurrentView.Version, (await table.ReadAllAsync()).Version);

        await a.LeaveAsync();

        Assert.Equal([SiloStatus.Joining, SiloStatus.Active, SiloStatus.ShuttingDown, null], statuses);
        Assert.Empty((await table.ReadAllAsync()).Members);
        Assert.Empty(a.CurrentView.Members);
    }

    [Fact]
    public async Task Joining_twice_is_refused()
    {
        var a = Service(new InMemoryMembershipTable(), "a");
        await a.JoinAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.JoinAsync());
    }

    [Fact]
    public async Task View_changes_propagate_between_two_services_sharing_a_table()
    {
        var table = new InMemoryMembershipTable();
        var a = Service(table, "a");
        var b = Service(table, "b");
        var aViews = new List<MembershipSnapshot>();
        a.ViewChanged += aViews.Add;

        await a.JoinAsync();
        await b.JoinAsync();
        Assert.Equal(["a", "b"], b.CurrentView.Active.Select(m => m.SiloId));
        Assert.Equal(["a"], a.CurrentView.Active.Select(m => m.SiloId));

        Assert.True(await a.RefreshOnceAsync());
        Assert.Equal(["a", "b"], a.CurrentView.Active.Select(m => m.SiloId));

        await b.LeaveAsync();
        await a.RefreshOnceAsync();
        Assert.Equal(["a"], a.CurrentView.Members.Select(m => m.SiloId));
        Assert.Equal([["a"], ["a", "b"], ["a"]], aViews.Select(v => v.Members.Select(m => m.SiloId).ToArray()));
    }

    [Fact]
    public async Task Heartbeats_alone_do_not_raise_view_changed()
    {
        var (table, a, b) = await JoinedPairAsync();
        await a.RefreshOnceAsync();
        var raised = 0;
        a.ViewChanged += _ => raised++;

        _clock.Advance(TimeSpan.FromSeconds(2));
        await b.HeartbeatOnceAsync();
        await a.RefreshOnceAsync();

        Assert.Equal(0, raised);
        Assert.Equal(_clock.GetUtcNow(), a.CurrentView.Find("b")!.HeartbeatAt);
    }

    [Fact]
    public async Task A_silent_silo_is_declared_dead_after_the_timeout_and_not_before()
    {
        var (table, a, b) = await JoinedPairAsync();

        // b goes silent; a keeps heartbeating and refreshing.
        _clock.Advance(TimeSpan.FromSeconds(9));
        await a.HeartbeatOnceAsync();
        await a.RefreshOnceAsync();
        Assert.Equal(0, await a.DetectDeadOnceAsync());
        Assert.Equal(["a", "b"], a.CurrentView.Active.Select(m => m.SiloId));

        _clock.Advance(TimeSpan.FromSeconds(2));
        await a.HeartbeatOnceAsync();
        await a.RefreshOnceAsync();
        Assert.Equal(1, await a.DetectDeadOnceAsync());

        Assert.Equal(SiloStatus.Dead, a.CurrentView.Find("b")!.Status);
        Assert.Equal(["a"], a.CurrentView.Active.Select(m => m.SiloId));
        Assert.Equal(SiloStatus.Dead, (await table.ReadAllAsync()).Find("b")!.Status);
    }

    [Fact]
    public async Task A_silo_that_keeps_heartbeating_is_never_declared_dead()
    {
        var (table, a, b) = await JoinedPairAsync();

        for (var i = 0; i < 20; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(2));
            await a.HeartbeatOnceAsync();
            await b.HeartbeatOnceAsync();
            await a.RefreshOnceAsync();
            Assert.Equal(0, await a.DetectDeadOnceAsync());
            Assert.Equal(0, await b.DetectDeadOnceAsync());
        }

        Assert.Equal(2, (await table.ReadAllAsync()).Active.Count);
    }

    [Fact]
    public async Task A_stale_view_does_not_kill_a_silo_that_heartbeated_since()
    {
        var (table, a, b) = await JoinedPairAsync();
        await a.RefreshOnceAsync();

        // a's view still holds b's heartbeat from join time, but b has heartbeated since.
        _clock.Advance(TimeSpan.FromSeconds(11));
        await b.HeartbeatOnceAsync();

        Assert.Equal(0, await a.DetectDeadOnceAsync());
        Assert.Equal(SiloStatus.Active, (await table.ReadAllAsync()).Find("b")!.Status);
    }

    [Fact]
    public async Task A_silo_declared_dead_registers_itself_again_on_its_next_heartbeat()
    {
        var (table, a, b) = await JoinedPairAsync();
        _clock.Advance(TimeSpan.FromSeconds(11));
        await a.HeartbeatOnceAsync();
        await a.RefreshOnceAsync();
        Assert.Equal(1, await a.DetectDeadOnceAsync());

        Assert.True(await b.HeartbeatOnceAsync());

        var entry = (await table.ReadAllAsync()).Find("b")!;
        Assert.Equal(SiloStatus.Active, entry.Status);
        Assert.Equal(_clock.GetUtcNow(), entry.HeartbeatAt);
    }

    [Fact]
    public async Task Dead_entries_are_removed_after_the_retention()
    {
        var (table, a, b) = await JoinedPairAsync();
        await b.DisposeAsync(); // crashed: no leave
        _clock.Advance(TimeSpan.FromSeconds(11));
        await a.HeartbeatOnceAsync();
        await a.RefreshOnceAsync();
        await a.DetectDeadOnceAsync();
        Assert.Equal(SiloStatus.Dead, a.CurrentView.Find("b")!.Status);

        _clock.Advance(TimeSpan.FromMinutes(1));
        await a.HeartbeatOnceAsync();
        await a.DetectDeadOnceAsync();

        Assert.Null(a.CurrentView.Find("b"));
        Assert.Null((await table.ReadAllAsync()).Find("b"));
    }

    [Fact]
    public async Task While_the_table_is_down_the_service_keeps_its_last_view_and_does_not_throw()
    {
        var table = new FlakyMembershipTable();
        var a = Service(table, "a");
        var b = Service(table, "b");
        await a.JoinAsync();
        await b.JoinAsync();
        await a.RefreshOnceAsync();
        var lastView = a.CurrentView;

        table.Down = true;
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.False(await a.HeartbeatOnceAsync());
        Assert.False(await a.RefreshOnceAsync());
        Assert.Equal(0, await a.DetectDeadOnceAsync());
        Assert.False(a.IsTableAvailable);
        Assert.Same(lastView, a.CurrentView);
        await a.LeaveAsync(); // logs and returns: peers will declare it dead
    }

    [Fact]
    public async Task When_the_table_comes_back_empty_the_silo_registers_itself_again()
    {
        var table = new FlakyMembershipTable();
        var a = Service(table, "a");
        await a.JoinAsync();
        table.Down = true;
        Assert.False(await a.RefreshOnceAsync());

        table.LoseData();
        table.Down = false;
        Assert.True(await a.RefreshOnceAsync());

        Assert.True(a.IsTableAvailable);
        Assert.Equal(SiloStatus.Active, (await table.ReadAllAsync()).Find("a")!.Status);
        Assert.Equal(["a"], a.CurrentView.Active.Select(m => m.SiloId));
    }

    [Fact]
    public async Task Join_reports_an_unreachable_table_to_its_caller()
    {
        var table = new FlakyMembershipTable { Down = true };
        var a = Service(table, "a");

        await Assert.ThrowsAsync<MembershipUnavailableException>(() => a.JoinAsync());

        table.Down = false;
        await a.JoinAsync();
        Assert.Equal(["a"], a.CurrentView.Active.Select(m => m.SiloId));
    }

    [Fact]
    public async Task With_background_loops_a_change_notification_updates_the_view_well_before_the_poll()
    {
        // Real time, but the poll period is a minute: only the notification can explain a quick update.
        var options = new MembershipOptions { HeartbeatPeriod = TimeSpan.FromMinutes(1), RefreshPeriod = TimeSpan.FromMinutes(1), DeadTimeout = TimeSpan.FromMinutes(5) };
        var table = new InMemoryMembershipTable();
        var a = Track(new MembershipService(table, "a", new Uri("http://127.0.0.1:1001"), 1, "test", options));
        var b = Track(new MembershipService(table, "b", new Uri("http://127.0.0.1:1002"), 1, "test", options));
        var seesB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.ViewChanged += view =>
        {
            if (view.Find("b") is { Status: SiloStatus.Active })
            {
                seesB.TrySetResult();
            }
        };
        await a.JoinAsync();

        await b.JoinAsync();

        await seesB.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await b.LeaveAsync();
        await a.LeaveAsync();
    }

    [Fact]
    public void Options_refuse_a_timeout_shorter_than_two_heartbeats()
    {
        var error = Assert.Throws<ArgumentException>(() => new MembershipOptions { HeartbeatPeriod = TimeSpan.FromSeconds(5), DeadTimeout = TimeSpan.FromSeconds(8) }.Validate());
        Assert.Contains("DeadTimeout", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Two services, "a" and "b", joined to one in-memory table.</summary>
    private async Task<(InMemoryMembershipTable Table, MembershipService A, MembershipService B)> JoinedPairAsync()
    {
        var table = new InMemoryMembershipTable();
        var a = Service(table, "a");
        var b = Service(table, "b");
        await a.JoinAsync();
        await b.JoinAsync();
        return (table, a, b);
    }

    private MembershipService Service(IMembershipTable table, string id) =>
        Track(new MembershipService(table, id, new Uri($"http://127.0.0.1:{1000 + id[0]}"), 1L << 30, "test", ManualLoops, _clock));

    private MembershipService Track(MembershipService service)
    {
        _services.Add(service);
        return service;
    }
}
