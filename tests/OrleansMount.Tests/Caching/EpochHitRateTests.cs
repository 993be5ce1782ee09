using OrleansMount.Core.Caching;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Caching;

/// <summary>
/// The figures of docs/decisions/0006-epoch-eviction.md: shuffled epochs over a data set larger
/// than the cache, replayed through <see cref="ResidentSetPolicy{TKey}"/> and, for comparison,
/// plain LRU and FIFO. Each test prints its per-epoch hit rates.
/// </summary>
[UnitTest]
public sealed class EpochHitRateTests(ITestOutputHelper output)
{
    private const int Capacity = 1000;

    [Fact]
    public void Shuffled_epochs_over_twice_the_cache_hit_at_least_0_4_in_every_epoch_after_the_first_where_lru_does_not()
    {
        var ours = Rates(new ResidentSetPolicy<int>(Capacity), 2 * Capacity);
        var lru = Rates(ReferenceCache.Lru(Capacity), 2 * Capacity);
        var fifo = Rates(ReferenceCache.Fifo(Capacity), 2 * Capacity);
        output.WriteLine($"resident set: {EpochTrace.Format(ours)}");
        output.WriteLine($"LRU:          {EpochTrace.Format(lru)}");
        output.WriteLine($"FIFO:         {EpochTrace.Format(fifo)}");

        Assert.Equal(0, ours[0]); // the first epoch is cold for every policy
        Assert.All(ours.Skip(1), rate => Assert.InRange(rate, 0.4, 0.5 + 0.02)); // ≈ cache ÷ data set, never above it by more than the window's chance hits
        Assert.All(lru.Skip(1), rate => Assert.True(rate < 0.3, $"LRU hit {rate:0.000}: the comparison no longer shows the collapse"));
        Assert.True(ours.Skip(1).Min() > lru.Skip(1).Max() + 0.15, "the resident set must beat LRU clearly");
    }

    [Fact]
    public void Data_sets_three_and_five_times_the_cache_approach_cache_over_data_set()
    {
        foreach (var multiple in new[] { 3, 5 })
        {
            var ours = Rates(new ResidentSetPolicy<int>(Capacity), multiple * Capacity);
            var lru = Rates(ReferenceCache.Lru(Capacity), multiple * Capacity);
            output.WriteLine($"{multiple}x resident set: {EpochTrace.Format(ours)}");
            output.WriteLine($"{multiple}x LRU:          {EpochTrace.Format(lru)}");
            var ideal = 1.0 / multiple;
            Assert.All(ours.Skip(1), rate => Assert.InRange(rate, 0.85 * ideal, ideal + 0.02));
        }
    }

    [Fact]
    public void Chunks_of_mixed_sizes_keep_the_byte_hit_rate()
    {
        // Small files are one short chunk: sizes from 1 to 16 units, cache = half the data set's bytes.
        var sizes = Enumerable.Range(0, 2000).Select(k => (long)(1 + (k * 7919 % 16))).ToArray();
        var total = sizes.Sum();
        var policy = new ResidentSetPolicy<int>(total / 2);
        var access = EpochTrace.Through(policy, size: k => sizes[k]);
        var rates = new List<double>();
        foreach (var order in EpochTrace.Epochs(0, sizes.Length, 8, seed: 11))
        {
            rates.Add(order.Where(access).Sum(k => sizes[k]) / (double)total);
        }

        output.WriteLine($"byte hit rate: {EpochTrace.Format([.. rates])}");
        Assert.All(rates.Skip(1), rate => Assert.True(rate >= 0.4, $"byte hit rate {rate:0.000}"));
    }

    [Fact]
    public void A_new_data_set_takes_over_the_cache_within_one_epoch()
    {
        var policy = new ResidentSetPolicy<int>(Capacity);
        var access = EpochTrace.Through(policy);
        var a = EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 4, seed: 1), access);
        var b = EpochTrace.HitRates(EpochTrace.Epochs(100_000, 2 * Capacity, 4, seed: 2), access);
        output.WriteLine($"data set A: {EpochTrace.Format(a)}");
        output.WriteLine($"then B:     {EpochTrace.Format(b)}");

        Assert.Equal(0, b[0]);
        Assert.All(b.Skip(1), rate => Assert.True(rate >= 0.4, $"B hit {rate:0.000} after its first epoch"));
        Assert.All(Enumerable.Range(0, 2 * Capacity), key => Assert.False(policy.SegmentOf(key) == CacheSegment.Resident, $"A's key {key} is still resident"));
    }

    [Fact]
    public void Going_back_to_a_remembered_data_set_unfreezes_through_staleness()
    {
        // B is small enough that all of A stays in the history: A's keys are "seen before", so
        // only B's residents going stale lets A back in.
        var policy = new ResidentSetPolicy<int>(Capacity);
        var access = EpochTrace.Through(policy);
        EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 3, seed: 1), access);
        EpochTrace.HitRates(EpochTrace.Epochs(100_000, Capacity, 3, seed: 2), access);
        var remembered = Enumerable.Range(0, 2 * Capacity).Count(policy.Remembers);
        var back = EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 8, seed: 3), access);
        output.WriteLine($"A's keys remembered when A returns: {remembered}; A again: {EpochTrace.Format(back)}");

        Assert.True(remembered >= Capacity / 2, $"only {remembered} of A's keys remembered: the test no longer exercises staleness");
        Assert.Contains(back, rate => rate >= 0.4);
        Assert.All(back[^2..], rate => Assert.True(rate >= 0.4, $"A hit {rate:0.000} at the end"));
    }

    [Fact]
    public void Hits_the_policy_never_sees_still_keep_the_hit_rate_above_lru()
    {
        // A mount reads chunk files already on disk without asking the silo, so the store sees
        // only misses. Residents then go stale after a horizon and are replaced, a few at a time.
        var ours = EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 12, seed: 5), EpochTrace.Through(new ResidentSetPolicy<int>(Capacity), hitsVisible: false));
        var lru = Rates(ReferenceCache.Lru(Capacity), 2 * Capacity, epochs: 12, seed: 5);
        output.WriteLine($"resident set, hits unseen: {EpochTrace.Format(ours)}");
        output.WriteLine($"LRU:                       {EpochTrace.Format(lru)}");
        Assert.True(ours.Skip(1).Average() >= 0.4, $"mean {ours.Skip(1).Average():0.000}");
        Assert.True(ours.Skip(1).Min() > lru.Skip(1).Max(), "even unseen hits must not drop below LRU");
    }

    [Fact]
    public void A_restored_resident_set_keeps_hitting_when_training_resumes_after_a_restart()
    {
        var before = new ResidentSetPolicy<int>(Capacity);
        var access = EpochTrace.Through(before);
        EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 3, seed: 1), access);
        var residents = Enumerable.Range(0, 2 * Capacity).Where(k => before.Contains(k)).ToArray();

        var restarted = new ResidentSetPolicy<int>(Capacity);
        foreach (var key in residents)
        {
            restarted.Restore(key, 1);
        }

        var after = EpochTrace.HitRates(EpochTrace.Epochs(0, 2 * Capacity, 8, seed: 4), EpochTrace.Through(restarted));
        output.WriteLine($"after a restart: {EpochTrace.Format(after)}");
        Assert.All(after, rate => Assert.True(rate >= 0.4, $"hit {rate:0.000} after the restart"));
    }

    private static double[] Rates(ResidentSetPolicy<int> policy, int dataSet, int epochs = 8, int seed = 7) =>
        EpochTrace.HitRates(EpochTrace.Epochs(0, dataSet, epochs, seed), EpochTrace.Through(policy));

    private static double[] Rates(ReferenceCache cache, int dataSet, int epochs = 8, int seed = 7) =>
        EpochTrace.HitRates(EpochTrace.Epochs(0, dataSet, epochs, seed), cache.Access);
}
