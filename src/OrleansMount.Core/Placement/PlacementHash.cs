using System.Text;

namespace OrleansMount.Core.Placement;

/// <summary>
/// The hash functions placement depends on. They are part of the cluster's wire contract: every
/// silo and every client must compute the same values, across processes and versions, so nothing
/// here may use <see cref="string.GetHashCode()"/> or any per-process seed. Frozen by
/// <c>PlacementGoldenTests</c>.
/// </summary>
internal static class PlacementHash
{
    /// <summary>2^64 / golden ratio, odd: the usual additive constant of SplitMix64.</summary>
    public const ulong Golden = 0x9E3779B97F4A7C15UL;

    private const ulong FnvOffset = 0xCBF29CE484222325UL;
    private const ulong FnvPrime = 0x00000100000001B3UL;
    private const double UnitScale = 1.0 / (1UL << 53);

    /// <summary>MurmurHash3's 64-bit finalizer (fmix64): a bijection with full avalanche.</summary>
    public static ulong Mix64(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    /// <summary>Hash of a silo id: FNV-1a 64 over its UTF-8 bytes, then <see cref="Mix64"/>.</summary>
    public static ulong OfSiloId(string siloId)
    {
        var hash = FnvOffset;
        foreach (var b in Encoding.UTF8.GetBytes(siloId))
        {
            hash ^= b;
            hash *= FnvPrime;
        }

        return Mix64(hash);
    }

    /// <summary>
    /// Weighted rendezvous score of a silo for a key, by the logarithmic method: with
    /// u = hash(key, silo) uniform in (0,1), score = -weight / ln(u). -ln(u) is exponential with
    /// rate 1, so the score's reciprocal is exponential with rate = weight, and the silo with the
    /// highest score wins with probability weight / total weight (the minimum of independent
    /// exponentials). See Schindelhauer and Schomaker, "Weighted distributed hash tables" (2005),
    /// and Resch, "New hashing algorithms for data storage" (the same idea applied to HRW).
    /// </summary>
    public static double Score(ulong key, ulong siloHash, double weight) => ScoreOf(Draw(key, siloHash), weight);

    /// <summary>The 53 random bits behind u for (key, silo).</summary>
    public static ulong Draw(ulong key, ulong siloHash) => Mix64(key ^ siloHash) >> 11;

    /// <summary>The score for a draw: u = (draw + ½) / 2^53 is in (0,1), so ln(u) is finite and &lt; 0.</summary>
    public static double ScoreOf(ulong draw, double weight) => -weight / Math.Log((draw + 0.5) * UnitScale);
}
