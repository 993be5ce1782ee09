namespace OrleansMount.Grains.Runtime;

/// <summary>A silo's traffic counters (read by status, the dashboard and tests).</summary>
public sealed class NodeCounters
{
    private long _objectStoreGets;
    private long _objectStoreBytes;
    private long _localHits;
    private long _localHitBytes;
    private long _fills;
    private long _fillErrors;
    private long _uncachedFills;
    private long _peerFetches;
    private long _peerBytes;
    private long _ownerFallbacks;
    private long _rangesFromCatalog;
    private long _rangesFromPeers;
    private long _rangeBytesFromPeers;
    private long _authRejections;
    private long _tlsRejections;
    private long _rangeCorruptions;
    private long _streamedWhileFilling;
    private long _mountStreams;

    public long ObjectStoreGets => Interlocked.Read(ref _objectStoreGets);

    public long ObjectStoreBytes => Interlocked.Read(ref _objectStoreBytes);

    public long LocalHits => Interlocked.Read(ref _localHits);

    /// <summary>Bytes of the chunks counted in <see cref="LocalHits"/>.</summary>
    public long LocalHitBytes => Interlocked.Read(ref _localHitBytes);

    public long Fills => Interlocked.Read(ref _fills);

    public long FillErrors => Interlocked.Read(ref _fillErrors);

    public long UncachedFills => Interlocked.Read(ref _uncachedFills);

    /// <summary>Chunks copied from their owner silo into this node's store.</summary>
    public long PeerFetches => Interlocked.Read(ref _peerFetches);

    public long PeerBytes => Interlocked.Read(ref _peerBytes);

    /// <summary>Chunks (and range files) read from the object store here because their owner did not deliver.</summary>
    public long OwnerFallbacks => Interlocked.Read(ref _ownerFallbacks);

    /// <summary>Range and metarange files this silo read from the catalog (as their owner, or as a fallback).</summary>
    public long RangesFromCatalog => Interlocked.Read(ref _rangesFromCatalog);

    /// <summary>Range and metarange files this silo copied from their owner.</summary>
    public long RangesFromPeers => Interlocked.Read(ref _rangesFromPeers);

    public long RangeBytesFromPeers => Interlocked.Read(ref _rangeBytesFromPeers);

    /// <summary>Requests refused because they lacked a valid cluster-secret signature.</summary>
    public long AuthRejections => Interlocked.Read(ref _authRejections);

    public void AuthRejected() => Interlocked.Increment(ref _authRejections);

    /// <summary>Orleans connections refused because the peer presented another certificate than the cluster's (--tls-certificate).</summary>
    public long TlsRejections => Interlocked.Read(ref _tlsRejections);

    public void TlsRejected() => Interlocked.Increment(ref _tlsRejections);

    /// <summary>Range files this silo kept for its peers that failed their check (truncated or damaged) and were read again.</summary>
    public long RangeCorruptions => Interlocked.Read(ref _rangeCorruptions);

    public void RangeCorrupted() => Interlocked.Increment(ref _rangeCorruptions);

    public void PeerFetched(long bytes)
    {
        Interlocked.Increment(ref _peerFetches);
        Interlocked.Add(ref _peerBytes, bytes);
    }

    public void OwnerFallback() => Interlocked.Increment(ref _ownerFallbacks);

    public void RangeFromCatalog() => Interlocked.Increment(ref _rangesFromCatalog);

    public void RangeFromPeer(long bytes)
    {
        Interlocked.Increment(ref _rangesFromPeers);
        Interlocked.Add(ref _rangeBytesFromPeers, bytes);
    }

    public void ObjectStoreRead(long bytes)
    {
        Interlocked.Increment(ref _objectStoreGets);
        Interlocked.Add(ref _objectStoreBytes, bytes);
    }

    public void LocalHit(long bytes)
    {
        Interlocked.Increment(ref _localHits);
        Interlocked.Add(ref _localHitBytes, bytes);
    }

    public void Filled(bool cached)
    {
        Interlocked.Increment(ref _fills);
        if (!cached)
        {
            Interlocked.Increment(ref _uncachedFills);
        }
    }

    public void FillFailed() => Interlocked.Increment(ref _fillErrors);

    /// <summary>Chunks this silo sent to a peer while it was still filling them from the object store (streamed as they arrived).</summary>
    public long PeerStreamsWhileFilling => Interlocked.Read(ref _streamedWhileFilling);

    public void StreamedWhileFilling() => Interlocked.Increment(ref _streamedWhileFilling);

    /// <summary>Chunks this silo streamed to a mount of its node while filling them (decision 0035), every byte sent.</summary>
    public long MountStreams => Interlocked.Read(ref _mountStreams);

    public void StreamedToMount() => Interlocked.Increment(ref _mountStreams);
}
