namespace OrleansMount.LatencyProxy;

/// <summary>The counters at one moment: requests received, forwarded to the target, failed to reach it, body bytes sent to clients, and injected faults by <see cref="FaultKind"/> name.</summary>
public sealed record ProxyStatsSnapshot(long Requests, long Forwarded, long UpstreamErrors, long BytesToClients, IReadOnlyDictionary<string, long> Faults);
