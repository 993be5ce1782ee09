using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>
/// A join moves keys only to the newcomer, a leave only from the leaver, and the fraction moved is
/// about the changed silo's share of the weight (1/N for equal weights).
/// </summary>
[UnitTest]
public sealed class PlacementMovementTests
{
    /// <summary>
    /// Exhaustive over slots, random views of 2–20 silos with weights 1–4: the invariant holds for
    /// every slot, and the slots moved are within 5 binomial standard deviations of weight/total.
    /// </summary>
    [Fact]
    public void Join_or_leave_moves_only_the_changed_silos_slots_and_about_its_share() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var members = PlacementTestData.Members(random, random.Next(2, 21));
            var changed = members[random.Next(members.Count)];
            var without = new PlacementView(members.Where(m => m != changed));
            var with = without.With(changed);
            var share = changed.Weight / members.Sum(m => m.Weight);
            var moved = 0;
            foreach (var key in PlacementTestData.OneKeyPerSlot())
            {
                string before = without.OwnerOf(key), after = with.OwnerOf(key);
                if (before != after)
                {
                    moved++;
                    if (after != changed.SiloId)
                    {
                        return false.Label($"slot of {key:x} moved from {before} to {after}, neither of which changed");
                    }
                }
            }

            // The same pair read the other way round is the leave; its moved set is the same slots.
            var expected = share * PlacementView.SlotCount;
            var sigma = Math.Sqrt(PlacementView.SlotCount * share * (1 - share));
            return (Math.Abs(moved - expected) <= 5 * sigma + 1).Label($"moved {moved} slots, expected {expected:F0} ± {5 * sigma:F0}");
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(10)]
    [InlineData(100)]
    public void Adding_or_removing_one_of_N_equal_silos_moves_about_one_Nth_of_the_keys(int n)
    {
        // Tolerance: within 20% of 1/N (relative). For 100,000 keys at N = 100 the standard deviation
        // of the moved fraction is about 5% relative (slot granularity and key sampling together).
        var random = new Random(n);
        var keys = PlacementTestData.Keys(random, 100_000);
        var members = PlacementTestData.EqualMembers(n);
        var view = new PlacementView(members);
        var plain = new RendezvousPlacement(members);

        var joined = view.With(new PlacementMember("newcomer", 1.0));
        var plainJoined = new RendezvousPlacement([.. members, new PlacementMember("newcomer", 1.0)]);
        AssertMoves(keys, view.OwnerOf, joined.OwnerOf, "newcomer", 1.0 / (n + 1));
        AssertMoves(keys, plain.OwnerOf, plainJoined.OwnerOf, "newcomer", 1.0 / (n + 1));

        var leaver = members[random.Next(n)].SiloId;
        var left = view.Without(leaver);
        var plainLeft = new RendezvousPlacement(members.Where(m => m.SiloId != leaver));
        AssertMoves(keys, view.OwnerOf, left.OwnerOf, leaver, 1.0 / n);
        AssertMoves(keys, plain.OwnerOf, plainLeft.OwnerOf, leaver, 1.0 / n);
    }

    private static void AssertMoves(ulong[] keys, Func<ulong, string> before, Func<ulong, string> after, string changed, double expectedFraction)
    {
        var moved = 0;
        foreach (var key in keys)
        {
            string b = before(key), a = after(key);
            if (a != b)
            {
                moved++;
                Assert.True(a == changed || b == changed, $"key {key:x} moved from {b} to {a}; only keys of {changed} may move");
            }
        }

        var fraction = (double)moved / keys.Length;
        Assert.InRange(fraction, expectedFraction * 0.8, expectedFraction * 1.2);
    }
}
