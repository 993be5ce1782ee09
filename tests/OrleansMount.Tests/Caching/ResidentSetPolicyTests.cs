using OrleansMount.Core.Caching;

namespace OrleansMount.Tests.Caching;

[UnitTest]
public sealed class ResidentSetPolicyTests
{
    private readonly List<int> _evicted = [];

    [Fact]
    public void Fills_as_residents_then_a_re_read_goes_to_probation_and_displaces_only_probation()
    {
        var policy = new ResidentSetPolicy<int>(10, new ResidentSetPolicyOptions { WindowFraction = 0.2 });
        for (var k = 0; k < 8; k++)
        {
            Assert.Equal(CacheSegment.Resident, policy.Admit(k, 1, ChunkOrigin.Owned, _evicted));
        }

        // Beyond capacity − window, new keys still replace residents (new data); make 100 and 101 "seen".
        Assert.Equal(CacheSegment.Resident, policy.Admit(100, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal(CacheSegment.Resident, policy.Admit(101, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal(CacheSegment.Resident, policy.Admit(102, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([0], _evicted); // the least recently used resident
        Assert.True(policy.Remembers(0));

        // 0 was seen: it goes to probation; the window is empty, so a resident makes room (the window grows).
        _evicted.Clear();
        Assert.Equal(CacheSegment.Probation, policy.Admit(0, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([1], _evicted);
        _evicted.Clear();
        Assert.Equal(CacheSegment.Probation, policy.Admit(1, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([2], _evicted);

        // The window holds its 2 bytes now: further re-reads displace the window's oldest only.
        _evicted.Clear();
        foreach (var key in new[] { 2, 0, 1, 2 })
        {
            Assert.Equal(CacheSegment.Probation, policy.Admit(key, 1, ChunkOrigin.Owned, _evicted));
        }

        Assert.Equal([0, 1, 2, 0], _evicted);
        Assert.Equal(8, policy.ResidentBytes);
        Assert.Equal(2, policy.ProbationBytes);
        Assert.Equal(10, policy.UsedBytes);
    }

    [Fact]
    public void An_access_to_a_probation_entry_promotes_it()
    {
        var policy = FullOfSeenKeys(out var probationKey);
        policy.RecordAccess(probationKey);
        Assert.Equal(CacheSegment.Resident, policy.SegmentOf(probationKey));
    }

    [Fact]
    public void A_resident_unused_for_the_stale_horizon_gives_way_to_a_re_read()
    {
        var policy = new ResidentSetPolicy<int>(4, new ResidentSetPolicyOptions { WindowFraction = 0.25, StaleFactor = 1 });
        foreach (var key in new[] { 0, 1, 2, 3, 10 })
        {
            policy.Admit(key, 1, ChunkOrigin.Owned, _evicted); // 10 is new data: replaces 0
        }

        Assert.Equal(CacheSegment.Probation, policy.Admit(0, 1, ChunkOrigin.Owned, _evicted)); // seen: the window takes 1's place
        Assert.Equal([0, 1], _evicted);
        var residentSince = 3L; // resident 2's last access, on the admission clock

        // 3 and 10 stay in use; 0 and 1 alternate through the window; 2 is never read again.
        for (var i = 0; ; i++)
        {
            Assert.True(i < 20, "resident 2 never went stale");
            policy.RecordAccess(3);
            policy.RecordAccess(10);
            var horizon = policy.StaleAfterBytes;
            var unusedFor = policy.AdmittedBytes - residentSince;
            var segment = policy.Admit((i + 1) % 2, 1, ChunkOrigin.Owned, _evicted);
            if (!policy.Contains(2))
            {
                Assert.True(unusedFor > horizon, $"2 evicted after {unusedFor} bytes, horizon {horizon}");
                Assert.Equal(CacheSegment.Resident, segment); // the re-read took the stale resident's place
                break;
            }

            Assert.Equal(CacheSegment.Probation, segment);
        }

        Assert.True(policy.Contains(3) && policy.Contains(10), "the residents in use must stay");
    }

    [Fact]
    public void Near_copies_never_displace_residents_as_new_data_and_are_evicted_first()
    {
        var policy = new ResidentSetPolicy<int>(4, new ResidentSetPolicyOptions { WindowFraction = 0 });
        policy.Admit(0, 1, ChunkOrigin.Owned, _evicted);
        policy.Admit(1, 1, ChunkOrigin.NearCopy, _evicted);
        policy.Admit(2, 1, ChunkOrigin.Owned, _evicted);
        policy.Admit(3, 1, ChunkOrigin.Owned, _evicted);
        policy.RecordAccess(0);
        policy.RecordAccess(1); // the near copy is the most recently used, yet goes first

        Assert.Equal(CacheSegment.Probation, policy.Admit(50, 1, ChunkOrigin.NearCopy, _evicted));
        Assert.Equal([1], _evicted);

        _evicted.Clear();
        Assert.Equal(CacheSegment.Resident, policy.Admit(60, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([2], _evicted); // no resident near copy left: the least recently used owned one
        Assert.Equal(CacheSegment.Probation, policy.SegmentOf(50));
    }

    [Fact]
    public void Restored_entries_are_kept_for_a_resumed_loop_until_the_history_is_trusted()
    {
        var policy = new ResidentSetPolicy<int>(4, new ResidentSetPolicyOptions { WindowFraction = 0 });
        for (var k = 0; k < 4; k++)
        {
            policy.Restore(k, 1);
        }

        // Never seen since the restart, but maybe before it: not allowed to displace residents.
        Assert.Equal(CacheSegment.Probation, policy.Admit(10, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([0], _evicted); // room for the window came from the least recent restored entry
        _evicted.Clear();
        Assert.Equal(CacheSegment.Probation, policy.Admit(11, 1, ChunkOrigin.Owned, _evicted));
        Assert.Equal([10], _evicted);

        // Once a stale horizon of bytes is admitted, unseen keys count as new data again.
        while (policy.AdmittedBytes < policy.StaleAfterBytes)
        {
            policy.Admit(10 + (int)(policy.AdmittedBytes % 2), 1, ChunkOrigin.Owned, _evicted);
        }

        Assert.Equal(CacheSegment.Resident, policy.Admit(99, 1, ChunkOrigin.Owned, _evicted));
    }

    [Fact]
    public void Evict_to_fit_respects_reservations_and_the_history_stays_within_its_budget()
    {
        var policy = new ResidentSetPolicy<int>(100, new ResidentSetPolicyOptions { HistoryFactor = 0.5 });
        for (var k = 0; k < 1000; k++)
        {
            policy.Admit(k, 1 + (k % 3), ChunkOrigin.Owned, _evicted);
            Assert.InRange(policy.UsedBytes, 0, 100);
            Assert.InRange(policy.HistoryBytes, 0, 50);
        }

        _evicted.Clear();
        policy.EvictToFit(30, _evicted);
        Assert.InRange(policy.UsedBytes, 0, 70);
        Assert.NotEmpty(_evicted);
        Assert.All(_evicted, key => Assert.False(policy.Contains(key)));
    }

    [Fact]
    public void Bad_options_are_refused_with_what_to_use()
    {
        var e = Assert.Throws<ArgumentException>(() => new ResidentSetPolicy<int>(10, new ResidentSetPolicyOptions { WindowFraction = 1.5 }));
        Assert.Contains("WindowFraction", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ResidentSetPolicy<int>(0));
    }

    private ResidentSetPolicy<int> FullOfSeenKeys(out int probationKey)
    {
        var policy = new ResidentSetPolicy<int>(4, new ResidentSetPolicyOptions { WindowFraction = 0.25 });
        for (var k = 0; k < 5; k++)
        {
            policy.Admit(k, 1, ChunkOrigin.Owned, _evicted); // 4 residents; 0 evicted as the 5th arrives
        }

        Assert.Equal(CacheSegment.Probation, policy.Admit(0, 1, ChunkOrigin.Owned, _evicted));
        probationKey = 0;
        return policy;
    }
}
