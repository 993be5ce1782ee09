namespace OrleansMount.Grains.Chunks;

/// <summary>
/// The answer of <see cref="IChunkGrain.EnsureAsync"/>: the chunk is in the node's chunk store
/// (<see cref="Cached"/>) with this length and CRC32C, or could not be cached (disk full) and
/// must be streamed instead.
/// </summary>
public sealed record ChunkLocation(bool Cached, int Length, uint Crc32C, ChunkTier Tier);
