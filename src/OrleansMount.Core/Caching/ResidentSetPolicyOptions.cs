namespace OrleansMount.Core.Caching;

/// <summary>Tuning of <see cref="ResidentSetPolicy{TKey}"/>; the defaults are what docs/decisions/0006-epoch-eviction.md measured.</summary>
public sealed class ResidentSetPolicyOptions
{
    /// <summary>Share of the capacity for the probation window (at least one entry is always admitted).</summary>
    public double WindowFraction { get; set; } = 0.02;

    /// <summary>
    /// Bytes of evicted keys remembered (keys only, about 120 bytes of memory each), as a multiple
    /// of the capacity. Epochs over a data set up to (1 + this) times the cache are recognized as
    /// re-reads; beyond that, forgotten keys count as new data and the hit rate falls towards LRU's.
    /// </summary>
    public double HistoryFactor { get; set; } = 8.0;

    /// <summary>
    /// A resident is stale when no access reached it for this many times the bytes of the data the
    /// policy knows (resident plus remembered), counted in bytes admitted since.
    /// </summary>
    public double StaleFactor { get; set; } = 2.0;

    internal void Validate()
    {
        if (WindowFraction is < 0 or >= 1 || double.IsNaN(WindowFraction))
        {
            throw new ArgumentException($"WindowFraction is {WindowFraction}: use a share of the capacity in [0, 1), e.g. 0.02");
        }

        if (HistoryFactor < 0 || double.IsNaN(HistoryFactor))
        {
            throw new ArgumentException($"HistoryFactor is {HistoryFactor}: use 0 or more times the capacity, e.g. 2");
        }

        if (StaleFactor <= 0 || double.IsNaN(StaleFactor))
        {
            throw new ArgumentException($"StaleFactor is {StaleFactor}: use a positive multiple, e.g. 2");
        }
    }
}
