namespace OrleansMount.Grains.Protocol;

/// <summary>Chunk reads a silo answered from one tier, and their share of all its chunk reads.</summary>
/// <param name="Tier"><c>local</c> (this node's disk), <c>peer</c> (copied from the owner silo) or <c>object_store</c> (filled from the store).</param>
/// <param name="Reads">Chunks.</param>
/// <param name="Bytes">Their bytes.</param>
/// <param name="Ratio">Reads ÷ the silo's reads of all tiers (0 when there were none).</param>
public sealed record TierReads(string Tier, long Reads, long Bytes, double Ratio);
