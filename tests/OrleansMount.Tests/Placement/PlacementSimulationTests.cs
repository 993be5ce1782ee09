using OrleansMount.Core.Placement;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Placement;

/// <summary>
/// A cluster of 1,000 silos with weights 1–4 goes through 50 random joins and leaves. After every
/// event, across every slot (so every key): nothing moves between two silos that stayed, and the
/// slots moved are within 5 binomial standard deviations of the changed silo's weight share. The
/// total moved over all events is within 10% of the sum of those shares. Plain per-key rendezvous
/// goes through the same events on a 2,000-key sample.
/// </summary>
[UnitTest]
public sealed class PlacementSimulationTests(ITestOutputHelper output)
{
    private const int Silos = 1000;
    private const int Events = 50;
    private const int PlainSample = 2000;

    [Fact]
    public void Thousand_silos_joining_and_leaving_move_only_the_changed_silos_keys()
    {
        var random = new Random(1000);
        var pool = PlacementTestData.Members(random, Silos + Events);
        var current = pool.Take(Silos).ToList();
        var outside = pool.Skip(Silos).ToList();
        var slotKeys = PlacementTestData.OneKeyPerSlot().ToArray();
        var sampleKeys = PlacementTestData.Keys(random, PlainSample);

        var view = new PlacementView(current);
        var owners = slotKeys.Select(view.OwnerOf).ToArray();
        var plainOwners = sampleKeys.Select(new RendezvousPlacement(current).OwnerOf).ToArray();
        double expectedTotal = 0, movedTotal = 0, plainMovedTotal = 0;

        for (var e = 0; e < Events; e++)
        {
            var join = outside.Count > 0 && (current.Count <= Silos - 5 || random.Next(2) == 0);
            PlacementMember changed;
            double share;
            if (join)
            {
                changed = outside[random.Next(outside.Count)];
                outside.Remove(changed);
                current.Add(changed);
                view = view.With(changed);
                share = changed.Weight / current.Sum(m => m.Weight);
            }
            else
            {
                changed = current[random.Next(current.Count)];
                share = changed.Weight / current.Sum(m => m.Weight);
                current.Remove(changed);
                outside.Add(changed);
                view = view.Without(changed.SiloId);
            }

            var moved = CountMoves(slotKeys, owners, view.OwnerOf, changed.SiloId, e);
            var expected = share * PlacementView.SlotCount;
            var sigma = Math.Sqrt(PlacementView.SlotCount * share * (1 - share));
            Assert.True(Math.Abs(moved - expected) <= (5 * sigma) + 1, $"event {e} ({(join ? "join" : "leave")} of {changed.SiloId}): moved {moved} slots, expected {expected:F1} ± {5 * sigma:F1}");
            expectedTotal += share;
            movedTotal += (double)moved / PlacementView.SlotCount;
            plainMovedTotal += CountMoves(sampleKeys, plainOwners, new RendezvousPlacement(current).OwnerOf, changed.SiloId, e);
        }

        output.WriteLine($"{Events} events over ~{Silos} silos: moved {movedTotal:P3} of keys in all, expected {expectedTotal:P3}; plain sample moved {plainMovedTotal / PlainSample:P3}");
        Assert.InRange(movedTotal, expectedTotal * 0.9, expectedTotal * 1.1);
        // ~100 of 2,000 sampled keys are expected to move: ±40% is about 4 standard deviations.
        Assert.InRange(plainMovedTotal / PlainSample, expectedTotal * 0.6, expectedTotal * 1.4);

        var fresh = new PlacementView(current);
        Assert.True(slotKeys.All(key => fresh.OwnerOf(key) == view.OwnerOf(key)), "the view derived through 50 events differs from one built from scratch");
    }

    /// <summary>Counts keys whose owner changed, asserting each move is to or from <paramref name="changed"/>; updates <paramref name="owners"/>.</summary>
    private static int CountMoves(ulong[] keys, string[] owners, Func<ulong, string> ownerOf, string changed, int e)
    {
        var moved = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var owner = ownerOf(keys[i]);
            if (owner != owners[i])
            {
                Assert.True(owner == changed || owners[i] == changed, $"event {e}: key {keys[i]:x} moved from {owners[i]} to {owner}, both unchanged");
                owners[i] = owner;
                moved++;
            }
        }

        return moved;
    }
}
