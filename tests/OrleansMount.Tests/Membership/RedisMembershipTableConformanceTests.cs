using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using OrleansMount.Grains.Membership;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Membership;

/// <summary>The conformance suite against a real redis-server; every table is its own connection.</summary>
[IntegrationTest]
public sealed class RedisMembershipTableConformanceTests : MembershipTableConformanceTests, IClassFixture<RedisServer>
{
    private readonly RedisServer _server;

    public RedisMembershipTableConformanceTests(RedisServer server)
    {
        _server = server;
    }

    protected override async Task<IMembershipTable> CreateTableAsync(string clusterId) =>
        await RedisMembershipTable.ConnectAsync(new RedisMembershipOptions { Configuration = _server.Configuration, ClusterId = clusterId });
}
