namespace OrleansMount.LatencyProxy;

/// <summary>The counters at one moment: requests received, forwarded to the target, failed to reach it, body bytes sent to clients, injected faults by <see cref="FaultKind"/> name, and of the requests the GETs and their body bytes (what an object store bills as reads).</summary>
public sealed record ProxyStatsSnapshot(long Requests, long Forwarded, long UpstreamErrors, long BytesToClients, IReadOnlyDictionary<string, long> Faults, long GetRequests, long GetBytes);
