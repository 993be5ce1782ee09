using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Tests.Membership;

/// <summary>The conformance suite against the in-memory table (one instance per cluster id).</summary>
[UnitTest]
public sealed class InMemoryMembershipTableConformanceTests : MembershipTableConformanceTests
{
    private readonly Dictionary<string, InMemoryMembershipTable> _clusters = [];

    protected override Task<IMembershipTable> CreateTableAsync(string clusterId)
    {
        if (!_clusters.TryGetValue(clusterId, out var table))
        {
            table = new InMemoryMembershipTable();
            _clusters[clusterId] = table;
        }

        return Task.FromResult<IMembershipTable>(table);
    }
}
