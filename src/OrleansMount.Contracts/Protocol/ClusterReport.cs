namespace OrleansMount.Grains.Protocol;

/// <summary>
/// <c>GET /api/v1/cluster</c>: every member of the view the answering silo routes by, each with its
/// own <see cref="NodeReport"/> when it answered in time.
/// </summary>
/// <param name="Self">The silo that answered.</param>
/// <param name="Cluster">The cluster name; "single-node" without Redis.</param>
/// <param name="Version">The membership view version.</param>
/// <param name="At">When the answering silo assembled it.</param>
/// <param name="Nodes">Every member, sorted by id.</param>
public sealed record ClusterReport(string Self, string Cluster, long Version, DateTimeOffset At, IReadOnlyList<ClusterNode> Nodes);
