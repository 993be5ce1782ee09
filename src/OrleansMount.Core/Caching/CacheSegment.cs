namespace OrleansMount.Core.Caching;

/// <summary>Where <see cref="ResidentSetPolicy{TKey}"/> keeps an entry.</summary>
public enum CacheSegment
{
    /// <summary>The stable resident set: evicted only for new data, when stale, or for room for the window.</summary>
    Resident,

    /// <summary>The small first-in-first-out window of entries admitted while full that did not earn a place in the resident set.</summary>
    Probation,
}
