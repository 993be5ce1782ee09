namespace OrleansMount.Core.Caching;

/// <summary>
/// Admission and eviction for a byte-bounded cache read in epochs (every item once per pass, in a
/// new shuffled order each time) over a data set larger than the cache. Pure bookkeeping: no I/O,
/// no clock, not thread-safe (the owner serializes calls). Why it is built this way:
/// docs/decisions/0006-epoch-eviction.md.
/// <para>
/// Plain LRU evicts, at every miss of such a scan, the entry whose next use is nearest, so its hit
/// rate falls far below cache ÷ data set. This policy keeps a <b>resident set</b> instead, and
/// entries admitted while the cache is full go to a small FIFO <b>probation</b> window (they are
/// still stored, so the reader that asked can open them) unless they earn a resident place:
/// </para>
/// <list type="number">
/// <item>While there is free room (beyond the window's share), everything becomes resident.</item>
/// <item>A key never seen before (not resident and not in the remembered history of evicted
/// keys) is new data: it becomes resident in place of the least recently used resident. A new
/// working set therefore takes over within one pass over it.</item>
/// <item>A key seen before (the next pass of an epoch loop) goes to probation and displaces the
/// oldest probation entry, never a resident, unless a resident is <b>stale</b>: not accessed for
/// <see cref="ResidentSetPolicyOptions.StaleFactor"/> × the bytes the policy knows (resident plus
/// history), counted in bytes admitted. A pass admits at most that many bytes, so residents of the
/// loop in progress are never stale, while residents of data no longer read (e.g. an old data set
/// whose keys are still remembered) become stale and give way: the set never freezes.</item>
/// <item>An access to a probation entry promotes it to the resident set.</item>
/// <item>Near copies (<see cref="ChunkOrigin.NearCopy"/>) never displace a resident as new data,
/// and among residents the least recently used near copy is evicted before any owned entry.</item>
/// </list>
/// <para>
/// After a restart (<see cref="Restore"/>) the history is empty, so "never seen" cannot be told
/// from "seen before the restart": until one stale horizon of bytes has been admitted every miss is
/// treated as seen before, which keeps the restored resident set for a resumed training loop.
/// </para>
/// </summary>
/// <typeparam name="TKey">The entry key (a chunk id in the store).</typeparam>
public sealed class ResidentSetPolicy<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Entry> _entries = [];
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, long Size)>> _history = [];
    private readonly LinkedList<(TKey Key, long Size)> _historyOrder = new();
    private readonly LinkedList<Entry> _ownedResidents = new();
    private readonly LinkedList<Entry> _nearResidents = new();
    private readonly LinkedList<Entry> _probation = new();
    private readonly ResidentSetPolicyOptions _options;
    private long _clock;
    private long _usedBytes;
    private long _residentBytes;
    private long _probationBytes;
    private long _historyBytes;
    private bool _historyTrusted = true;

    public ResidentSetPolicy(long capacityBytes, ResidentSetPolicyOptions? options = null)
    {
        if (capacityBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "the capacity must be positive");
        }

        _options = options ?? new ResidentSetPolicyOptions();
        _options.Validate();
        CapacityBytes = capacityBytes;
    }

    public long CapacityBytes { get; }

    public long UsedBytes => _usedBytes;

    public long ResidentBytes => _residentBytes;

    public long ProbationBytes => _probationBytes;

    /// <summary>Bytes of evicted keys remembered in the history (keys only are kept).</summary>
    public long HistoryBytes => _historyBytes;

    public int Count => _entries.Count;

    /// <summary>Bytes admitted since the policy was created: the clock staleness is measured in.</summary>
    public long AdmittedBytes => _clock;

    /// <summary>The probation window's budget.</summary>
    public long WindowBytes => (long)(CapacityBytes * _options.WindowFraction);

    /// <summary>A resident not accessed during this many admitted bytes is stale.</summary>
    public long StaleAfterBytes => (long)(_options.StaleFactor * Math.Max(CapacityBytes, _residentBytes + _historyBytes));

    public bool Contains(TKey key) => _entries.ContainsKey(key);

    /// <summary>The segment holding <paramref name="key"/>, or null when it is not cached.</summary>
    public CacheSegment? SegmentOf(TKey key) => _entries.TryGetValue(key, out var entry) ? entry.Segment : null;

    /// <summary>Whether <paramref name="key"/> is remembered as evicted (seen before, not cached).</summary>
    public bool Remembers(TKey key) => _history.ContainsKey(key);

    /// <summary>
    /// Adds an entry found at start as resident. Call in order of last access, least recent
    /// first. Does not evict: call <see cref="EvictToFit"/> afterwards.
    /// </summary>
    public void Restore(TKey key, long size, ChunkOrigin origin = ChunkOrigin.Owned)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Remove(key);
        Link(new Entry(key, size, origin, _clock), CacheSegment.Resident);
        _historyTrusted = false;
    }

    /// <summary>Records a read of a cached entry (a hit); a probation entry is promoted.</summary>
    public void RecordAccess(TKey key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return;
        }

        Unlink(entry);
        entry.LastAccess = _clock;
        Link(entry, CacheSegment.Resident);
    }

    /// <summary>
    /// Decides where <paramref name="key"/> will go and evicts what has to go so that it fits
    /// beside <paramref name="reservedBytes"/> already promised to writes in flight. Pass the
    /// returned segment to <see cref="Admit(TKey, long, ChunkOrigin, CacheSegment, long, ICollection{TKey})"/>.
    /// </summary>
    public CacheSegment MakeRoom(TKey key, long size, ChunkOrigin origin, long reservedBytes, ICollection<TKey> evicted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(evicted);
        var destination = Destination(key, size, origin, reservedBytes);
        _entries.TryGetValue(key, out var replaced);
        var needed = size - (replaced?.Size ?? 0);
        EvictWhileOver(reservedBytes + needed, destination, size, replaced, evicted);
        return destination;
    }

    /// <summary>
    /// Adds (or replaces) an entry in <paramref name="segment"/> (from <see cref="MakeRoom"/>),
    /// then evicts others until the cache fits beside <paramref name="reservedBytes"/>.
    /// </summary>
    public void Admit(TKey key, long size, ChunkOrigin origin, CacheSegment segment, long reservedBytes, ICollection<TKey> evicted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(evicted);
        Remove(key);
        ForgetHistory(key);
        _clock += size;
        if (!_historyTrusted && _clock >= StaleAfterBytes)
        {
            _historyTrusted = true;
        }

        var entry = new Entry(key, size, origin, _clock);
        Link(entry, segment);
        EvictWhileOver(reservedBytes, segment, 0, entry, evicted);
    }

    /// <summary><see cref="MakeRoom"/> and <see cref="Admit(TKey, long, ChunkOrigin, CacheSegment, long, ICollection{TKey})"/> in one step.</summary>
    public CacheSegment Admit(TKey key, long size, ChunkOrigin origin, ICollection<TKey> evicted)
    {
        var segment = MakeRoom(key, size, origin, 0, evicted);
        Admit(key, size, origin, segment, 0, evicted);
        return segment;
    }

    /// <summary>Evicts (stale residents, probation beyond its window, then least recently used residents) until the cache fits beside <paramref name="reservedBytes"/>.</summary>
    public void EvictToFit(long reservedBytes, ICollection<TKey> evicted)
    {
        ArgumentNullException.ThrowIfNull(evicted);
        EvictWhileOver(reservedBytes, CacheSegment.Probation, 0, null, evicted);
    }

    /// <summary>Forgets an entry dropped for another reason (damaged, file gone); it is not remembered in the history.</summary>
    public bool Remove(TKey key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        Unlink(entry);
        _entries.Remove(key);
        _usedBytes -= entry.Size;
        return true;
    }

    private CacheSegment Destination(TKey key, long size, ChunkOrigin origin, long reservedBytes)
    {
        if (_entries.TryGetValue(key, out var existing))
        {
            return existing.Segment; // a replacement keeps its place
        }

        if (_usedBytes + reservedBytes + size <= CapacityBytes && _residentBytes + size <= CapacityBytes - WindowBytes)
        {
            // Free room outside the window's share. Room the window left (entries of mixed sizes)
            // goes to the window: filling it with residents would make the next miss evict one.
            return CacheSegment.Resident;
        }

        if (origin == ChunkOrigin.Owned && _historyTrusted && !_history.ContainsKey(key))
        {
            return CacheSegment.Resident; // new data: the working set moved
        }

        return StaleResident(null) is not null ? CacheSegment.Resident : CacheSegment.Probation;
    }

    private void EvictWhileOver(long extraBytes, CacheSegment destination, long incomingSize, Entry? keep, ICollection<TKey> evicted)
    {
        while (_usedBytes + extraBytes > CapacityBytes)
        {
            var victim = NextVictim(destination, incomingSize, keep);
            if (victim is null)
            {
                return; // only `keep` is left
            }

            Unlink(victim);
            _entries.Remove(victim.Key);
            _usedBytes -= victim.Size;
            Remember(victim.Key, victim.Size);
            evicted.Add(victim.Key);
        }
    }

    private Entry? NextVictim(CacheSegment destination, long incomingSize, Entry? keep)
    {
        if (StaleResident(keep) is { } stale)
        {
            return stale;
        }

        var oldestProbation = First(_probation, keep);
        if (destination == CacheSegment.Probation && oldestProbation is not null && _probationBytes + incomingSize > WindowBytes)
        {
            return oldestProbation;
        }

        // The window is within its budget (or the entry is to be resident): take from the
        // resident set, near copies first; with no residents left, from the window.
        return First(_nearResidents, keep) ?? First(_ownedResidents, keep) ?? oldestProbation;
    }

    private Entry? StaleResident(Entry? keep)
    {
        var horizon = StaleAfterBytes;
        foreach (var list in (ReadOnlySpan<LinkedList<Entry>>)[_nearResidents, _ownedResidents])
        {
            var oldest = First(list, keep);
            if (oldest is not null && _clock - oldest.LastAccess > horizon)
            {
                return oldest;
            }
        }

        return null;
    }

    private static Entry? First(LinkedList<Entry> list, Entry? keep)
    {
        var node = list.First;
        if (node is not null && ReferenceEquals(node.Value, keep))
        {
            node = node.Next;
        }

        return node?.Value;
    }

    private void Link(Entry entry, CacheSegment segment)
    {
        entry.Segment = segment;
        if (!_entries.ContainsKey(entry.Key))
        {
            _entries[entry.Key] = entry;
            _usedBytes += entry.Size;
        }

        if (segment == CacheSegment.Probation)
        {
            entry.Node = _probation.AddLast(entry);
            _probationBytes += entry.Size;
        }
        else
        {
            entry.Node = (entry.Origin == ChunkOrigin.NearCopy ? _nearResidents : _ownedResidents).AddLast(entry);
            _residentBytes += entry.Size;
        }
    }

    private void Unlink(Entry entry)
    {
        if (entry.Node?.List is { } list)
        {
            list.Remove(entry.Node);
            if (entry.Segment == CacheSegment.Probation)
            {
                _probationBytes -= entry.Size;
            }
            else
            {
                _residentBytes -= entry.Size;
            }
        }

        entry.Node = null;
    }

    private void Remember(TKey key, long size)
    {
        ForgetHistory(key);
        _history[key] = _historyOrder.AddLast((key, size));
        _historyBytes += size;
        var budget = (long)(CapacityBytes * _options.HistoryFactor);
        while (_historyBytes > budget && _historyOrder.First is { } oldest)
        {
            ForgetHistory(oldest.Value.Key);
        }
    }

    private void ForgetHistory(TKey key)
    {
        if (_history.Remove(key, out var node))
        {
            _historyOrder.Remove(node);
            _historyBytes -= node.Value.Size;
        }
    }

    private sealed class Entry(TKey key, long size, ChunkOrigin origin, long lastAccess)
    {
        public TKey Key { get; } = key;

        public long Size { get; } = size;

        public ChunkOrigin Origin { get; } = origin;

        /// <summary>The admission clock at the last access (or at admission).</summary>
        public long LastAccess { get; set; } = lastAccess;

        public CacheSegment Segment { get; set; }

        public LinkedListNode<Entry>? Node { get; set; }
    }
}
