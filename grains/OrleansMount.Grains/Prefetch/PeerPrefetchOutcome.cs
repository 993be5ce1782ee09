namespace OrleansMount.Grains.Prefetch;

/// <summary>One finished chunk of a <see cref="PeerPrefetchBatch"/>: its position in the batch and what happened.</summary>
/// <param name="Index">Position of the chunk in the batch.</param>
/// <param name="Outcome"><see cref="Fetched"/>, <see cref="Skipped"/> (already cached) or <see cref="Failed"/>.</param>
/// <param name="Bytes">The chunk's length.</param>
/// <param name="Error">Why it failed.</param>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable, Alias("om.PeerPrefetchOutcome")]
public sealed record PeerPrefetchOutcome(int Index, string Outcome, int Bytes, string? Error = null)
{
    public const string Fetched = "fetched";

    public const string Skipped = "skipped";

    public const string Failed = "failed";
}
