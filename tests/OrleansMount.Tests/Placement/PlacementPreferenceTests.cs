using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>OwnersOf is the fallback order: owner first, distinct, and what remains after removals.</summary>
[UnitTest]
public sealed class PlacementPreferenceTests
{
    [Fact]
    public void Preference_list_starts_with_the_owner_and_is_distinct() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var members = PlacementTestData.Members(random, random.Next(1, 16));
            var view = new PlacementView(members);
            var plain = new RendezvousPlacement(members);
            var count = random.Next(0, 20);
            return PlacementTestData.Keys(random, 200).All(key =>
            {
                var owners = view.OwnersOf(key, count);
                var plainOwners = plain.OwnersOf(key, count);
                return owners.Count == Math.Min(count, members.Count)
                    && owners.Distinct().Count() == owners.Count
                    && (count == 0 || owners[0] == view.OwnerOf(key))
                    && plainOwners.Count == owners.Count
                    && plainOwners.Distinct().Count() == plainOwners.Count
                    && (count == 0 || plainOwners[0] == plain.OwnerOf(key));
            });
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Removing_the_owner_promotes_the_second_and_keeps_the_rest_in_order() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var members = PlacementTestData.Members(random, random.Next(2, 10));
            var view = new PlacementView(members);
            var plain = new RendezvousPlacement(members);
            return PlacementTestData.Keys(random, 3).All(key =>
            {
                var owners = view.OwnersOf(key, members.Count);
                var after = view.Without(owners[0]);
                var plainOwners = plain.OwnersOf(key, members.Count);
                var plainAfter = new RendezvousPlacement(members.Where(m => m.SiloId != plainOwners[0]));
                return after.OwnerOf(key) == owners[1]
                    && after.OwnersOf(key, members.Count).SequenceEqual(owners.Skip(1))
                    && plainAfter.OwnerOf(key) == plainOwners[1]
                    && plainAfter.OwnersOf(key, members.Count).SequenceEqual(plainOwners.Skip(1));
            });
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Negative_count_is_rejected()
    {
        var view = new PlacementView([new("a", 1)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => view.OwnersOf(1, -1));
    }
}
