namespace OrleansMount.Grains.Runtime;

/// <summary>A silo's traffic counters (read by status, the dashboard and tests).</summary>
public sealed class NodeCounters
{
    private long _objectStoreGets;
    private long _objectStoreBytes;
    private long _localHits;
    private long _fills;
    private long _fillErrors;
    private long _uncachedFills;
    private long _peerFetches;
    private long _peerBytes;
    private long _ownerFallbacks;

    public long ObjectStoreGets => Interlocked.Read(ref _objectStoreGets);

    public long ObjectStoreBytes => Interlocked.Read(ref _objectStoreBytes);

    public long LocalHits => Interlocked.Read(ref _localHits);

    public long Fills => Interlocked.Read(ref _fills);

    public long FillErrors => Interlocked.Read(ref _fillErrors);

    public long UncachedFills => Interlocked.Read(ref _uncachedFills);

    /// <summary>Chunks copied from their owner silo into this node's store.</summary>
    public long PeerFetches => Interlocked.Read(ref _peerFetches);

    public long PeerBytes => Interlocked.Read(ref _peerBytes);

    /// <summary>Chunks read from the object store here because their owner did not answer.</summary>
    public long OwnerFallbacks => Interlocked.Read(ref _ownerFallbacks);

    public void PeerFetched(long bytes)
    {
        Interlocked.Increment(ref _peerFetches);
        Interlocked.Add(ref _peerBytes, bytes);
    }

    public void OwnerFallback() => Interlocked.Increment(ref _ownerFallbacks);

    public void ObjectStoreRead(long bytes)
    {
        Interlocked.Increment(ref _objectStoreGets);
        Interlocked.Add(ref _objectStoreBytes, bytes);
    }

    public void LocalHit() => Interlocked.Increment(ref _localHits);

    public void Filled(bool cached)
    {
        Interlocked.Increment(ref _fills);
        if (!cached)
        {
            Interlocked.Increment(ref _uncachedFills);
        }
    }

    public void FillFailed() => Interlocked.Increment(ref _fillErrors);
}
