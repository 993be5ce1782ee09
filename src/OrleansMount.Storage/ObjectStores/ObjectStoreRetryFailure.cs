namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// How a request under <see cref="ObjectStoreRetryPipeline"/> failed for good: the last attempt's
/// <paramref name="Error"/> (a <see cref="Polly.Timeout.TimeoutRejectedException"/> when that attempt ran
/// out of time), whether it was <paramref name="Transient"/> (then the attempts or the deadline ran out),
/// how many <paramref name="Attempts"/> were made and how long it all took.
/// </summary>
internal readonly record struct ObjectStoreRetryFailure(Exception Error, bool Transient, int Attempts, TimeSpan Elapsed)
{
    /// <summary>Whether the last attempt was abandoned at its time limit.</summary>
    public bool TimedOut => Error is Polly.Timeout.TimeoutRejectedException;
}
