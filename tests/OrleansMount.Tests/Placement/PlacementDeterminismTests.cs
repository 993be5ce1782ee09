using FsCheck;
using FsCheck.Fluent;
using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>Every silo computes the same owner from the same view, however it came by the view.</summary>
[UnitTest]
public sealed class PlacementDeterminismTests
{
    [Fact]
    public void Views_built_from_the_same_members_in_any_order_agree_on_every_key() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var members = PlacementTestData.Members(random, random.Next(1, 12));
            var a = new PlacementView(members);
            var b = new PlacementView(PlacementTestData.Shuffled(random, members));
            var plainA = new RendezvousPlacement(members);
            var plainB = new RendezvousPlacement(PlacementTestData.Shuffled(random, members));
            return PlacementTestData.OneKeyPerSlot().All(key => a.OwnerOf(key) == b.OwnerOf(key))
                && PlacementTestData.Keys(random, 500).All(key => plainA.OwnerOf(key) == plainB.OwnerOf(key)
                    && a.OwnersOf(key, 3).SequenceEqual(b.OwnersOf(key, 3)));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_view_derived_by_joins_and_leaves_equals_one_built_from_scratch() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var random = new Random(seed);
            var pool = PlacementTestData.Members(random, 24);
            var current = pool.Take(random.Next(1, 8)).ToList();
            var view = new PlacementView(current);
            for (var step = 0; step < 4; step++)
            {
                var outside = pool.Where(m => !current.Contains(m)).ToList();
                if (current.Count > 1 && random.Next(2) == 0)
                {
                    var leaving = current[random.Next(current.Count)];
                    current.Remove(leaving);
                    view = view.Without(leaving.SiloId);
                }
                else
                {
                    var joining = outside[random.Next(outside.Count)];
                    current.Add(joining);
                    view = view.With(joining);
                }
            }

            var fresh = new PlacementView(current);
            return view.Members.SequenceEqual(fresh.Members)
                && PlacementTestData.OneKeyPerSlot().All(key => view.OwnerOf(key) == fresh.OwnerOf(key));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Every_member_of_a_small_view_owns_some_slots()
    {
        var members = PlacementTestData.Members(new Random(7), 5);
        var view = new PlacementView(members);
        var counts = PlacementTestData.OneKeyPerSlot().GroupBy(view.OwnerOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(members.Select(m => m.SiloId).Order(StringComparer.Ordinal), counts.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Invalid_members_are_rejected_with_the_reason()
    {
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new PlacementView([new("a", 1), new("b", 1), new("a", 2)])).Message, StringComparison.Ordinal);
        Assert.Contains("weight 0", Assert.Throws<ArgumentException>(() => new PlacementView([new("a", 0)])).Message, StringComparison.Ordinal);
        Assert.Contains("weight -1", Assert.Throws<ArgumentException>(() => new RendezvousPlacement([new("a", -1)])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PlacementView([new("a", double.NaN)]));
        Assert.Throws<ArgumentException>(() => new PlacementView([new("a", double.PositiveInfinity)]));
        Assert.Throws<ArgumentException>(() => new PlacementView([new("", 1)]));
        Assert.Throws<ArgumentException>(() => new PlacementView([]));
        var view = new PlacementView([new("a", 1)]);
        Assert.Contains("already in the view", Assert.Throws<ArgumentException>(() => view.With(new("a", 2))).Message, StringComparison.Ordinal);
        Assert.Contains("not in the view", Assert.Throws<ArgumentException>(() => view.Without("b")).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => view.Without("a"));
        Assert.Throws<ArgumentException>(() => view.With(new("b", 0)));
    }
}
