using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OrleansMount.Grains.Membership;
using OrleansMount.Tests.Infrastructure;
using StackExchange.Redis;

namespace OrleansMount.Tests.Membership;

/// <summary>What is particular to the Redis table: its key layout and how it fails.</summary>
[IntegrationTest]
public sealed class RedisMembershipTableTests : IClassFixture<RedisServer>
{
    private readonly RedisServer _server;

    public RedisMembershipTableTests(RedisServer server)
    {
        _server = server;
    }

    [Fact]
    public async Task Entries_live_in_one_hash_per_cluster_with_a_version_counter_beside_it()
    {
        var cluster = $"layout{Guid.NewGuid():N}"[..20];
        await using var table = await RedisMembershipTable.ConnectAsync(new RedisMembershipOptions { Configuration = _server.Configuration, ClusterId = cluster });
        var entry = new SiloEntry("node-1", new Uri("http://127.0.0.1:7000"), SiloStatus.Active, 100, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "v");

        var version = await table.UpsertAsync(entry);

        Assert.Equal($"orleansmount:{cluster}:members", table.MembersKey);
        Assert.Equal($"orleansmount:{cluster}:version", table.VersionKey);
        Assert.Equal($"orleansmount:{cluster}:changes", table.ChangesChannel);
        using var raw = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        var db = raw.GetDatabase();
        var stored = await db.HashGetAsync(table.MembersKey, "node-1");
        Assert.Equal(entry, SiloEntryFormat.Deserialize(stored!));
        Assert.Equal(version, (long)await db.StringGetAsync(table.VersionKey));
    }

    [Fact]
    public async Task An_unreadable_entry_is_skipped_not_fatal()
    {
        var cluster = $"bad{Guid.NewGuid():N}"[..20];
        await using var table = await RedisMembershipTable.ConnectAsync(new RedisMembershipOptions { Configuration = _server.Configuration, ClusterId = cluster });
        await table.UpsertAsync(new SiloEntry("good", new Uri("http://127.0.0.1:7000"), SiloStatus.Active, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "v"));
        using var raw = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
        await raw.GetDatabase().HashSetAsync(table.MembersKey, "future", """{"v":99}""");

        var snapshot = await table.ReadAllAsync();

        Assert.Equal("good", Assert.Single(snapshot.Members).SiloId);
    }

    [Fact]
    public async Task A_table_whose_redis_is_down_throws_membership_unavailable_quickly()
    {
        var options = new RedisMembershipOptions
        {
            Configuration = $"127.0.0.1:{ClosedPort()}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            ConnectRetry = 1,
            OperationTimeout = TimeSpan.FromMilliseconds(500),
        };
        var clock = Stopwatch.StartNew();
        await using var table = await RedisMembershipTable.ConnectAsync(options);

        var error = await Assert.ThrowsAsync<MembershipUnavailableException>(() => table.ReadAllAsync());
        await Assert.ThrowsAsync<MembershipUnavailableException>(() => table.UpsertAsync(
            new SiloEntry("a", new Uri("http://127.0.0.1:1"), SiloStatus.Active, 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "v")));
        await Assert.ThrowsAsync<MembershipUnavailableException>(() => table.HeartbeatAsync("a", DateTimeOffset.UnixEpoch));

        Assert.Contains(options.Configuration, error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Bad_options_are_refused_with_the_reason()
    {
        var error = Assert.Throws<ArgumentException>(() => new RedisMembershipOptions { Configuration = "x:1", ClusterId = "has space" }.Validate());
        Assert.Contains("has space", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new RedisMembershipOptions { Configuration = " " }.Validate());
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
