namespace OrleansMount.LatencyProxy;

/// <summary>What the proxy did, counted thread-safely; served at <c>GET /__proxy/stats</c> as a <see cref="ProxyStatsSnapshot"/>.</summary>
public sealed class ProxyStats
{
    private readonly long[] _faults = new long[Enum.GetValues<FaultKind>().Length];
    private long _requests;
    private long _forwarded;
    private long _upstreamErrors;
    private long _bytesToClients;
    private long _getRequests;
    private long _getBytes;

    public void Request() => Interlocked.Increment(ref _requests);

    /// <summary>A GET (an object read, or a listing) was received.</summary>
    public void Get() => Interlocked.Increment(ref _getRequests);

    public void Forward() => Interlocked.Increment(ref _forwarded);

    public void UpstreamError() => Interlocked.Increment(ref _upstreamErrors);

    public void ToClient(long bytes, bool get)
    {
        Interlocked.Add(ref _bytesToClients, bytes);
        if (get)
        {
            Interlocked.Add(ref _getBytes, bytes);
        }
    }

    public void Fault(FaultKind kind) => Interlocked.Increment(ref _faults[(int)kind]);

    public ProxyStatsSnapshot Snapshot() => new(
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _forwarded),
        Interlocked.Read(ref _upstreamErrors),
        Interlocked.Read(ref _bytesToClients),
        Enum.GetValues<FaultKind>().ToDictionary(k => k.ToString(), k => Interlocked.Read(ref _faults[(int)k])),
        Interlocked.Read(ref _getRequests),
        Interlocked.Read(ref _getBytes));
}
