using OrleansMount.Core.Caching;

namespace OrleansMount.Tests.Caching;

/// <summary>
/// Synthetic epoch traces: every key of a data set once per epoch in a fresh shuffled order, and
/// the per-epoch hit rates of a cache replaying them. Keys have size 1 unless a size is given.
/// </summary>
internal static class EpochTrace
{
    /// <summary>The keys <paramref name="first"/> .. first+count-1 shuffled once per epoch with a seeded generator.</summary>
    public static IEnumerable<int[]> Epochs(int first, int count, int epochs, int seed)
    {
        var random = new Random(seed);
        for (var e = 0; e < epochs; e++)
        {
            var order = Enumerable.Range(first, count).ToArray();
            random.Shuffle(order);
            yield return order;
        }
    }

    /// <summary>Replays epochs through <paramref name="access"/> (true = hit) and returns each epoch's hit rate.</summary>
    public static double[] HitRates(IEnumerable<int[]> epochs, Func<int, bool> access) =>
        [.. epochs.Select(order => order.Count(access) / (double)order.Length)];

    /// <summary>An access to the policy as ChunkStore makes it: a hit is recorded (when <paramref name="hitsVisible"/>), a miss is admitted.</summary>
    public static Func<int, bool> Through(ResidentSetPolicy<int> policy, bool hitsVisible = true, Func<int, long>? size = null)
    {
        var evicted = new List<int>();
        return key =>
        {
            if (policy.Contains(key))
            {
                if (hitsVisible)
                {
                    policy.RecordAccess(key);
                }

                return true;
            }

            policy.Admit(key, size?.Invoke(key) ?? 1, ChunkOrigin.Owned, evicted);
            return false;
        };
    }

    public static string Format(double[] rates) => string.Join(" ", rates.Select(r => r.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));
}
