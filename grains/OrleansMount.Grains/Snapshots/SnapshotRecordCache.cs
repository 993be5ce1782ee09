using OrleansMount.Storage.Catalog;

namespace OrleansMount.Grains.Snapshots;

/// <summary>
/// A snapshot name's record as its <see cref="SnapshotGrain"/> holds it: read on the first ask, then answered from
/// memory until it is <paramref name="refreshAfter"/> old. It is read again (one read at a time, shared by the callers
/// waiting) when older, when the name had no record (an import may have created it since: a miss is never held), and
/// when a caller expects another id than the one held (it saw a re-import this cache has not seen yet).
/// </summary>
public sealed class SnapshotRecordCache(Func<CancellationToken, Task<SnapshotRecord?>> read, TimeProvider time, TimeSpan refreshAfter)
{
    private readonly Lock _lock = new();
    private SnapshotRecord? _record;
    private long _readAt;
    private Task<SnapshotRecord?>? _reading;
    private long _reads;

    /// <summary>Reads of the catalog so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public async Task<SnapshotRecord?> GetAsync(string? expectedId)
    {
        Task<SnapshotRecord?> reading;
        bool joined;
        lock (_lock)
        {
            if (_record is { } record && (expectedId is null || record.Id == expectedId) && time.GetElapsedTime(_readAt) < refreshAfter)
            {
                return record;
            }

            (reading, joined) = StartOrJoin();
        }

        var answer = await reading.ConfigureAwait(false);
        if (joined && expectedId is not null && answer?.Id != expectedId)
        {
            // The read joined may have started before the re-import the caller saw: one read of its own decides.
            lock (_lock)
            {
                reading = _reading == reading ? Start() : _reading!;
            }

            answer = await reading.ConfigureAwait(false);
        }

        return answer;
    }

    private (Task<SnapshotRecord?> Reading, bool Joined) StartOrJoin() =>
        _reading is { IsCompleted: false } inFlight ? (inFlight, true) : (Start(), false);

    private Task<SnapshotRecord?> Start()
    {
        Interlocked.Increment(ref _reads);
        _reading = ReadAsync();
        return _reading;
    }

    private async Task<SnapshotRecord?> ReadAsync()
    {
        await Task.Yield();
        var startedAt = time.GetTimestamp();
        var record = await read(CancellationToken.None).ConfigureAwait(false);
        lock (_lock)
        {
            // Held from when the read started: the catalog may have changed any time after that.
            _record = record;
            _readAt = startedAt;
        }

        return record;
    }
}
