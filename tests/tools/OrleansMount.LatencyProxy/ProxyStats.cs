namespace OrleansMount.LatencyProxy;

/// <summary>Counters served at <c>GET /__proxy/stats</c> (JSON), so tests can see what the proxy did.</summary>
public sealed class ProxyStats
{
    private long _requests;
    private long _forwarded;
    private long _upstreamErrors;
    private long _bytesToClients;
    private long _internalErrors;
    private long _slowDowns;
    private long _resets;
    private long _midBodyResets;
    private long _stalls;

    public long Requests => Interlocked.Read(ref _requests);

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long UpstreamErrors => Interlocked.Read(ref _upstreamErrors);

    public long BytesToClients => Interlocked.Read(ref _bytesToClients);

    public long InternalErrors => Interlocked.Read(ref _internalErrors);

    public long SlowDowns => Interlocked.Read(ref _slowDowns);

    public long Resets => Interlocked.Read(ref _resets);

    public long MidBodyResets => Interlocked.Read(ref _midBodyResets);

    public long Stalls => Interlocked.Read(ref _stalls);

    public void Request() => Interlocked.Increment(ref _requests);

    public void Forward() => Interlocked.Increment(ref _forwarded);

    public void UpstreamError() => Interlocked.Increment(ref _upstreamErrors);

    public void ToClient(long bytes) => Interlocked.Add(ref _bytesToClients, bytes);

    public void Fault(FaultKind kind)
    {
        switch (kind)
        {
            case FaultKind.InternalError:
                Interlocked.Increment(ref _internalErrors);
                break;
            case FaultKind.SlowDown:
                Interlocked.Increment(ref _slowDowns);
                break;
            case FaultKind.Reset:
                Interlocked.Increment(ref _resets);
                break;
            case FaultKind.ResetMidBody:
                Interlocked.Increment(ref _midBodyResets);
                break;
            case FaultKind.Stall:
                Interlocked.Increment(ref _stalls);
                break;
        }
    }
}
