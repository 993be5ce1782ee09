using OrleansMount.Core;

namespace OrleansMount.Client.Mount;

/// <summary>
/// The mount's chunk streams (decision 0035): at most one per chunk, so every read of a cold chunk shares one request
/// to the silo; kept a moment after they end whole (<see cref="KeepFor"/>), while the silo writes the chunk file, so
/// reads that follow and do not find the file yet do not ask for it again (reads look for the file first). Their memory is bounded by <c>budget</c> bytes: past it, streams that
/// ended go first, and a read that would exceed it with streams in flight asks the silo to ensure the chunk instead.
/// </summary>
public sealed class ChunkStreams(long budget, TimeProvider? time = null)
{
    /// <summary>How long a stream that ended whole stays readable.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<ChunkId, Entry> _entries = [];
    private readonly Queue<Entry> _ended = new(); // streams that ended whole, in the order they ended (some forgotten since)
    private long _bytes;
    private long _started;
    private long _overBudget;

    public long Budget { get; } = budget;

    /// <summary>Bytes of the streams held (in flight, or ended whole and kept).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Streams started, and reads that asked for an ensure because the budget was spent.</summary>
    public (long Started, long OverBudget) Counts => (Interlocked.Read(ref _started), Interlocked.Read(ref _overBudget));

    /// <summary>The stream of chunk <paramref name="id"/> in flight or kept, with a reference taken; null when there is none.</summary>
    public ChunkStream? TryJoin(ChunkId id)
    {
        lock (_lock)
        {
            return Joined(id, out _);
        }
    }

    /// <summary>
    /// The stream of the chunk <paramref name="request"/> names, joined or started through <paramref name="backend"/>, with a
    /// reference taken; null when a new one would exceed the budget.
    /// </summary>
    public ChunkStream? JoinOrStart(IMountBackend backend, Grains.Chunks.ChunkRequest request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(request);
        ChunkStream stream;
        Entry entry;
        lock (_lock)
        {
            if (Joined(request.Id, out var found) is { } joined)
            {
                return joined;
            }

            if (found is not null)
            {
                Forget(found);
            }

            ForgetExpired();
            if (!MakeRoom(request.Length))
            {
                Interlocked.Increment(ref _overBudget);
                return null;
            }

            // Three references: the pump's (until the stream ends), the registry's (while listed) and the caller's.
            stream = new ChunkStream(request.Id, request.Length);
            stream.TryAcquire();
            stream.TryAcquire();
            entry = new Entry(stream);
            _entries[request.Id] = entry;
            _bytes += request.Length;
        }

        Interlocked.Increment(ref _started);
        _ = stream.RunAsync(backend, request, timeout, _ => OnEnded(entry));
        return stream;
    }

    /// <summary>Under the lock: the listed stream of <paramref name="id"/> with a reference taken, when it is still usable; else null, with the entry <paramref name="found"/> listed (if any).</summary>
    private ChunkStream? Joined(ChunkId id, out Entry? found) =>
        _entries.TryGetValue(id, out found) && Usable(found) && found.Stream.TryAcquire() ? found.Stream : null;

    private bool Usable(Entry entry) =>
        entry.EndedAt is not { } ended || (entry.Stream.Whole && _time.GetUtcNow() - ended < KeepFor);

    private void OnEnded(Entry entry)
    {
        lock (_lock)
        {
            entry.EndedAt = _time.GetUtcNow();
            if (!entry.Stream.Whole)
            {
                Forget(entry);
            }
            else
            {
                _ended.Enqueue(entry);
            }
        }
    }

    /// <summary>Under the lock: drops the streams kept past <see cref="KeepFor"/>, so their memory goes back to the pool.</summary>
    private void ForgetExpired()
    {
        var now = _time.GetUtcNow();
        while (_ended.TryPeek(out var oldest) && now - oldest.EndedAt >= KeepFor)
        {
            Forget(_ended.Dequeue());
        }
    }

    /// <summary>Under the lock: drops streams that ended (oldest first) until <paramref name="length"/> more bytes fit; false when they do not.</summary>
    private bool MakeRoom(long length)
    {
        while (_bytes + length > Budget && _ended.TryDequeue(out var oldest))
        {
            Forget(oldest);
        }

        return _bytes + length <= Budget;
    }

    /// <summary>Under the lock: unlists a stream (one that ended) and drops the registry's reference to it.</summary>
    private void Forget(Entry entry)
    {
        if (_entries.TryGetValue(entry.Stream.Id, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(entry.Stream.Id);
            _bytes -= entry.Stream.Length;
            entry.Stream.Release();
        }
    }

    private sealed class Entry(ChunkStream stream)
    {
        public ChunkStream Stream { get; } = stream;

        public DateTimeOffset? EndedAt { get; set; }
    }
}
