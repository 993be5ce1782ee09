namespace OrleansMount.Grains.Protocol;

/// <summary><c>GET /api/v1/members</c>: the membership view this silo routes by.</summary>
/// <param name="Self">This silo's id.</param>
/// <param name="Cluster">The cluster name (<c>--cluster</c>); "single-node" without Redis.</param>
/// <param name="Version">The membership table version the view was read at.</param>
/// <param name="Members">Every entry, sorted by id.</param>
public sealed record SiloMembers(string Self, string Cluster, long Version, IReadOnlyList<SiloMember> Members);

/// <summary>One silo in <see cref="SiloMembers"/>. <paramref name="Status"/> is Joining, Active, ShuttingDown or Dead.</summary>
public sealed record SiloMember(string SiloId, string Address, string Status, long CapacityBytes, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, string Version);
