namespace OrleansMount.Storage.ObjectStores;

/// <summary>
/// How <see cref="S3ObjectStore"/> retries a request that failed for a reason that may pass (HTTP 5xx,
/// 503 SlowDown, 429, a reset connection, a body cut short, an attempt that stalled past
/// <see cref="AttemptTimeout"/>): at most <see cref="MaxAttempts"/> attempts, waiting an exponentially
/// growing, jittered delay between them, and never starting an attempt after <see cref="Deadline"/>
/// (measured from the first). Errors that cannot pass (not found, access denied, a changed object)
/// are not retried. This record holds the settings (the silo's <c>--object-store-*</c> flags) and the
/// delay formula; <see cref="ObjectStoreRetryPipeline"/> runs them on Polly.
/// </summary>
public sealed record ObjectStoreRetryPolicy
{
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPollyTime = TimeSpan.FromDays(1);

    /// <summary>Attempts of one request in all, including the first.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The delay before the first retry; each later one doubles, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest one attempt may take, response body included: a stalled response is abandoned after it.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The time after which no further attempt starts; the request then fails with the last error.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The wait before retry number <paramref name="retry"/> (1 for the first retry): "equal jitter",
    /// half of the exponential delay fixed and half random, so concurrent readers that failed together
    /// do not come back together.
    /// </summary>
    public TimeSpan DelayBefore(int retry, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 30));
        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (capped / 2 * Math.Clamp(random, 0, 1)));
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (MaxAttempts is < 1 or > 100)
        {
            throw new ArgumentException($"MaxAttempts {MaxAttempts} must be from 1 to 100");
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay || AttemptTimeout <= TimeSpan.Zero || Deadline <= TimeSpan.Zero)
        {
            throw new ArgumentException("BaseDelay must not be negative, MaxDelay at least BaseDelay, AttemptTimeout and Deadline positive");
        }

        // Polly's own ranges for a retry delay and a timeout, said here in the settings' names.
        if (MaxDelay > MaxPollyTime || AttemptTimeout < MinAttemptTimeout || AttemptTimeout > MaxPollyTime)
        {
            throw new ArgumentException($"MaxDelay must be at most 1 day and AttemptTimeout from 10 ms to 1 day (AttemptTimeout {AttemptTimeout}, MaxDelay {MaxDelay})");
        }
    }
}
