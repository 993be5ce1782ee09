using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>Each silo's share of keys follows its weight (cache capacity).</summary>
[UnitTest]
public sealed class PlacementWeightTests
{
    private static readonly PlacementMember[] OneTwoFour = [new("small", 1), new("medium", 2), new("large", 4)];

    [Fact]
    public void Weights_1_2_4_give_shares_within_3_percent_on_200k_keys()
    {
        var keys = PlacementTestData.Keys(new Random(124), 200_000);
        AssertShares(keys, new PlacementView(OneTwoFour).OwnerOf, 0.03);
        AssertShares(keys, new RendezvousPlacement(OneTwoFour).OwnerOf, 0.03);
    }

    [Fact]
    public void Weights_are_respected_in_a_larger_mixed_cluster()
    {
        // 50 silos, weights 1-4: each silo holds ~1,300 slots, so its share is within ±15% of
        // weight/total (4-5 standard deviations of slot granularity plus key sampling).
        var random = new Random(50);
        var members = PlacementTestData.Members(random, 50);
        var view = new PlacementView(members);
        var keys = PlacementTestData.Keys(random, 400_000);
        var counts = keys.GroupBy(view.OwnerOf).ToDictionary(g => g.Key, g => g.Count());
        var total = members.Sum(m => m.Weight);
        foreach (var member in members)
        {
            var expected = member.Weight / total;
            var actual = (double)counts.GetValueOrDefault(member.SiloId) / keys.Length;
            Assert.InRange(actual, expected * 0.85, expected * 1.15);
        }
    }

    private static void AssertShares(ulong[] keys, Func<ulong, string> ownerOf, double tolerance)
    {
        var counts = keys.GroupBy(ownerOf).ToDictionary(g => g.Key, g => g.Count());
        var total = OneTwoFour.Sum(m => m.Weight);
        foreach (var member in OneTwoFour)
        {
            var share = (double)counts.GetValueOrDefault(member.SiloId) / keys.Length;
            Assert.InRange(share, (member.Weight / total) - tolerance, (member.Weight / total) + tolerance);
        }
    }
}
