namespace OrleansMount.Storage.ObjectStores;

/// <summary>What the retry policy did, for a node's stats: shared by every store a process opens with it. Thread-safe.</summary>
public sealed class ObjectStoreCounters
{
    private long _retries;
    private long _failures;

    /// <summary>Attempts made after a transient failure (each retry counts once).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Requests that failed for good: a permanent error, or retries used up or past the deadline.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    internal void Retried() => Interlocked.Increment(ref _retries);

    internal void Failed() => Interlocked.Increment(ref _failures);
}
