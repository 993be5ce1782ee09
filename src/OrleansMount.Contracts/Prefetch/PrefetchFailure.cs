namespace OrleansMount.Grains.Prefetch;

/// <summary>One object (or range file) a prefetch could not fetch, and why.</summary>
public sealed record PrefetchFailure(string Object, string Reason);
