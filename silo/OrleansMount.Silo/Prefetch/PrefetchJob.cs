using System.Collections.Concurrent;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// One prefetch job on the silo that coordinates it (the one the CLI or mount asked): its plan's
/// totals, progress counters updated as owners report, failures per object, and its cancellation.
/// </summary>
public sealed class PrefetchJob : IDisposable
{
    private const int MaxFailures = 1000;
    private readonly CancellationTokenSource _cancel = new();
    private readonly ConcurrentQueue<PrefetchFailure> _failures = new();
    private readonly TimeProvider _time;
    private long _bytesDone;
    private long _bytesFetched;
    private int _chunksFetched;
    private int _chunksSkipped;
    private int _chunksFailed;
    private int _rangesDone;
    private int _rangesFailed;
    private int _failuresOmitted;
    private volatile string _state = PrefetchState.Running;
    private DateTimeOffset? _finishedAt;

    public PrefetchJob(string id, PrefetchRequest request, string snapshotId, PrefetchPlan plan, int silos, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        Id = id;
        Request = request;
        SnapshotId = snapshotId;
        Plan = plan;
        Silos = silos;
        _time = time;
        StartedAt = time.GetUtcNow();
    }

    public string Id { get; }

    public PrefetchRequest Request { get; }

    public string SnapshotId { get; }

    public PrefetchPlan Plan { get; }

    /// <summary>Silos taking part: owners of chunks, every silo keeping a copy, or every silo ingesting the ranges.</summary>
    public int Silos { get; }

    /// <summary>How many times the plan's chunks are made present: once, or once per silo for an every-node job.</summary>
    public int Copies => Request.EveryNode ? Silos : 1;

    public DateTimeOffset StartedAt { get; }

    public CancellationToken Token => _cancel.Token;

    public string State => _state;

    public bool IsFinished => PrefetchState.IsFinished(_state);

    /// <summary>Completes when the job has finished (done, failed or cancelled).</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    public void Record(PeerPrefetchOutcome outcome, string file)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        switch (outcome.Outcome)
        {
            case PeerPrefetchOutcome.Fetched:
                Interlocked.Increment(ref _chunksFetched);
                Interlocked.Add(ref _bytesFetched, outcome.Bytes);
                Interlocked.Add(ref _bytesDone, outcome.Bytes);
                break;
            case PeerPrefetchOutcome.Skipped:
                Interlocked.Increment(ref _chunksSkipped);
                Interlocked.Add(ref _bytesDone, outcome.Bytes);
                break;
            default:
                Interlocked.Increment(ref _chunksFailed);
                Fail(file, outcome.Error ?? "failed");
                break;
        }
    }

    public void RangesDone(int count) => Interlocked.Add(ref _rangesDone, count);

    public void RangesFailed(int count) => Interlocked.Add(ref _rangesFailed, count);

    /// <summary>Records a failed object; per object once is enough (a file's chunks usually fail for one reason).</summary>
    public void Fail(string what, string reason)
    {
        if (_failures.Count >= MaxFailures)
        {
            Interlocked.Increment(ref _failuresOmitted);
            return;
        }

        if (!_failures.Any(f => f.Object == what && f.Reason == reason))
        {
            _failures.Enqueue(new PrefetchFailure(what, reason));
        }
    }

    /// <summary>Asks the job to stop; false when it had already finished.</summary>
    public bool Cancel()
    {
        if (IsFinished)
        {
            return false;
        }

        _state = PrefetchState.Cancelling;
        _cancel.Cancel();
        return true;
    }

    /// <summary>Sets the final state once every owner has stopped.</summary>
    public void Finish()
    {
        _finishedAt = _time.GetUtcNow();
        _state = _cancel.IsCancellationRequested ? PrefetchState.Cancelled
            : Volatile.Read(ref _chunksFailed) > 0 || Volatile.Read(ref _rangesFailed) > 0 || !_failures.IsEmpty ? PrefetchState.Failed
            : PrefetchState.Done;
    }

    public PrefetchJobStatus ToStatus()
    {
        var failed = Volatile.Read(ref _chunksFailed);
        return new PrefetchJobStatus(
            Id,
            Request.Snapshot,
            SnapshotId,
            _state,
            Request.MetadataOnly,
            Request.Paths,
            Plan.Files,
            Plan.Bytes * Copies,
            Interlocked.Read(ref _bytesDone),
            Interlocked.Read(ref _bytesFetched),
            Plan.Chunks.Count * Copies,
            Volatile.Read(ref _chunksFetched) + Volatile.Read(ref _chunksSkipped) + failed,
            Volatile.Read(ref _chunksFetched),
            Volatile.Read(ref _chunksSkipped),
            failed,
            Plan.Ranges.Count * Silos,
            Volatile.Read(ref _rangesDone),
            Volatile.Read(ref _rangesFailed),
            Silos,
            StartedAt,
            _finishedAt,
            [.. _failures],
            Volatile.Read(ref _failuresOmitted),
            Request.EveryNode);
    }

    public void Dispose() => _cancel.Dispose();
}
