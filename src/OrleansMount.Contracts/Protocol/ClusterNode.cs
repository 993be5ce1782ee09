namespace OrleansMount.Grains.Protocol;

/// <summary>One member in a <see cref="ClusterReport"/>.</summary>
/// <param name="Member">Its membership entry (status, address, capacity, start, heartbeat, version).</param>
/// <param name="Reachable">It answered <c>/api/v1/node</c> in time (always true for the answering silo).</param>
/// <param name="Error">Why there is no report: the call's failure, or that a dead member was not asked.</param>
/// <param name="ResponseMilliseconds">How long its answer took (0 for the answering silo).</param>
/// <param name="Report">Its report; null when not reachable.</param>
public sealed record ClusterNode(SiloMember Member, bool Reachable, string? Error, double ResponseMilliseconds, NodeReport? Report);
