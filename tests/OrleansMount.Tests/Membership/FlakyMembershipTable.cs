using IMembershipTable = OrleansMount.Grains.Membership.IMembershipTable;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Tests.Membership;

/// <summary>
/// Wraps a table and can be switched "down" (every call throws
/// <see cref="MembershipUnavailableException"/>) or made to lose its data, like a Redis restart.
/// </summary>
public sealed class FlakyMembershipTable : IMembershipTable
{
    private volatile InMemoryMembershipTable _inner = new();

    public FlakyMembershipTable()
    {
        _inner.Changed += Forward;
    }

    public event Action<long>? Changed;

    public bool Down { get; set; }

    public InMemoryMembershipTable Inner => _inner;

    /// <summary>Replaces the data with an empty table (version back to zero).</summary>
    public void LoseData()
    {
        _inner.Changed -= Forward;
        _inner = new InMemoryMembershipTable();
        _inner.Changed += Forward;
    }

    public Task<MembershipSnapshot> ReadAllAsync(CancellationToken cancellationToken = default) => Check().ReadAllAsync(cancellationToken);

    public Task<long> UpsertAsync(SiloEntry entry, CancellationToken cancellationToken = default) => Check().UpsertAsync(entry, cancellationToken);

    public Task<bool> HeartbeatAsync(string siloId, DateTimeOffset time, CancellationToken cancellationToken = default) => Check().HeartbeatAsync(siloId, time, cancellationToken);

    public Task<bool> RemoveAsync(string siloId, CancellationToken cancellationToken = default) => Check().RemoveAsync(siloId, cancellationToken);

    public Task<bool> DeclareDeadAsync(string siloId, DateTimeOffset? staleBefore = null, CancellationToken cancellationToken = default) =>
        Check().DeclareDeadAsync(siloId, staleBefore, cancellationToken);

    private InMemoryMembershipTable Check() => Down ? throw new MembershipUnavailableException("test: the table is down") : _inner;

    private void Forward(long version) => Changed?.Invoke(version);
}
