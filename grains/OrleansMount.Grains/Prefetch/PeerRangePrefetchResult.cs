namespace OrleansMount.Grains.Prefetch;

/// <summary>The answer to <see cref="PeerRangePrefetch"/>: ranges now ingested (fetched or already there) and failures.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable, Alias("om.PeerRangePrefetchResult")]
public sealed record PeerRangePrefetchResult(int Done, int Fetched, IReadOnlyList<PrefetchFailure> Failures);
