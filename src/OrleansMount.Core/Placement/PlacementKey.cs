namespace OrleansMount.Core.Placement;

/// <summary>
/// 64-bit placement keys for the cluster's grain keys. Placement expects uniform 64-bit hashes;
/// these helpers derive one from an identity (already uniform) and a discriminator, through
/// <c>fmix64</c> so that neighbouring chunks of one object land on unrelated owners.
/// </summary>
public static class PlacementKey
{
    private const ulong RangeSalt = 0x52414E4745494453UL; // "RANGEIDS"

    /// <summary>The key of a chunk: its identity's low 64 bits combined with its index.</summary>
    public static ulong Of(ChunkId chunk) => Combine(chunk.Identity.Low64, (uint)chunk.Index);

    /// <summary>The key of a metadata range, in a domain apart from chunk keys.</summary>
    public static ulong Of(RangeId range) => Combine((ulong)range.Hash.Value, (ulong)(range.Hash.Value >> 64) ^ RangeSalt);

    /// <summary>
    /// Mixes a uniform 64-bit value with a discriminator. For a fixed <paramref name="uniform"/>,
    /// distinct discriminators give distinct keys (both steps are bijections).
    /// </summary>
    public static ulong Combine(ulong uniform, ulong discriminator) =>
        PlacementHash.Mix64(uniform ^ PlacementHash.Mix64(discriminator + PlacementHash.Golden));
}
