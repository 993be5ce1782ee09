using OrleansMount.Core;
using OrleansMount.Grains.Chunks;

namespace OrleansMount.Silo.Prefetch;

/// <summary>What a prefetch job fetches: chunks in fetch order (and the file each belongs to), or range ids.</summary>
public sealed record PrefetchPlan(IReadOnlyList<ChunkRequest> Chunks, IReadOnlyList<string> ChunkFiles, int Files, long Bytes, IReadOnlyList<RangeId> Ranges);
