using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Runtime;
using OrleansMount.Tests.Chunks;

namespace OrleansMount.Tests.Cluster;

/// <summary>The routing rules every silo applies to chunk and range calls (the real-process side is in ClusterTests).</summary>
[UnitTest]
public sealed class OwnerRouterTests
{
    private static readonly SiloEntry OwnerB = Entry("node-b");
    private static readonly SiloEntry OwnerC = Entry("node-c");

    private readonly ManualTimeProvider _clock = new();
    private readonly NodeCounters _counters = new();
    private readonly List<string> _calls = [];
    private OwnerLookup _lookup = new(OwnerB, 7);
    private int _refreshes;

    private static SiloEntry Entry(string id) => new(id, new Uri($"http://127.0.0.1:{7000 + id[^1]}/"), SiloStatus.Active, 1 << 30, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "1");

    private OwnerRouter Router(OwnerSuspects? suspects = null) => new(
        _ => _lookup,
        _ =>
        {
            _refreshes++;
            _lookup = new OwnerLookup(OwnerC, 8); // the refreshed view names another owner
            return Task.CompletedTask;
        },
        suspects ?? new OwnerSuspects(_clock, TimeSpan.FromSeconds(5)),
        _counters,
        NullLogger.Instance);

    private Task<string> Route(OwnerRouter router, Func<SiloEntry, long, Task<string>> remote) =>
        router.RouteAsync(
            42,
            "chunk 0 of test",
            () => Task.FromResult(Record("local")),
            remote,
            () => Task.FromResult(Record("fallback")));

    private string Record(string call)
    {
        _calls.Add(call);
        return call;
    }

    [Fact]
    public async Task A_key_owned_here_is_served_by_the_local_activation()
    {
        _lookup = new OwnerLookup(null, 3);
        Assert.Equal("local", await Route(Router(), (_, _) => throw new InvalidOperationException("no remote call expected")));
        Assert.Equal(0, _counters.OwnerFallbacks);
    }

    [Fact]
    public async Task The_owner_is_called_with_the_view_version_it_was_chosen_by()
    {
        var answer = await Route(Router(), (owner, version) => Task.FromResult(Record($"{owner.SiloId}@{version}")));
        Assert.Equal("node-b@7", answer);
        Assert.Equal(0, _counters.OwnerFallbacks);
        Assert.Equal(0, _refreshes);
    }

    [Fact]
    public async Task A_stale_view_answer_refreshes_the_view_and_routes_again_to_the_new_owner()
    {
        var answer = await Route(Router(), (owner, version) => owner == OwnerB
            ? throw new StaleViewException("node-b", 8, version)
            : Task.FromResult(Record($"{owner.SiloId}@{version}")));
        Assert.Equal("node-c@8", answer);
        Assert.Equal(1, _refreshes);
        Assert.Equal(1, _counters.StaleViewRefreshes);
        Assert.Equal(0, _counters.OwnerFallbacks);
    }

    [Fact]
    public async Task A_second_stale_view_answer_falls_back_instead_of_looping()
    {
        var answer = await Route(Router(), (owner, version) => throw new StaleViewException(owner.SiloId, version + 1, version));
        Assert.Equal("fallback", answer);
        Assert.Equal(1, _refreshes);
        Assert.Equal(1, _counters.OwnerFallbacks);
        Assert.Equal(0, _counters.SuspectSkips);
    }

    [Fact]
    public async Task An_error_answer_falls_back_without_suspecting_the_owner()
    {
        var router = Router();
        Assert.Equal("fallback", await Route(router, (_, _) => throw new PeerException("owner answered 502", unreachable: false)));
        Assert.Equal("node-b@7", await Route(router, (owner, version) => Task.FromResult($"{owner.SiloId}@{version}")));
        Assert.Empty(router.Suspects.Current);
        Assert.Equal(1, _counters.OwnerFallbacks);
    }

    [Fact]
    public async Task An_owner_without_an_answer_is_suspected_and_skipped_until_the_suspicion_expires()
    {
        var router = Router();
        var remoteCalls = 0;
        Task<string> Silent(SiloEntry owner, long version)
        {
            remoteCalls++;
            throw new PeerException("no answer within 1 s", unreachable: true);
        }

        Assert.Equal("fallback", await Route(router, Silent));
        Assert.Equal(["node-b"], router.Suspects.Current);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("fallback", await Route(router, Silent));
        }

        Assert.Equal(1, remoteCalls); // one timeout, not six
        Assert.Equal(6, _counters.OwnerFallbacks);
        Assert.Equal(5, _counters.SuspectSkips);

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Empty(router.Suspects.Current);
        Assert.Equal("node-b@7", await Route(router, (owner, version) => Task.FromResult($"{owner.SiloId}@{version}")));
    }

    [Fact]
    public async Task A_suspected_owner_does_not_affect_keys_of_other_owners()
    {
        var suspects = new OwnerSuspects(_clock, TimeSpan.FromSeconds(5));
        suspects.Mark("node-c");
        Assert.Equal("node-b@7", await Route(Router(suspects), (owner, version) => Task.FromResult($"{owner.SiloId}@{version}")));
        Assert.Equal(0, _counters.OwnerFallbacks);
    }
}
