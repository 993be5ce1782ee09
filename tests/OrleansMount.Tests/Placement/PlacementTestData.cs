using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>Random members and keys for the placement tests, reproducible from a seed.</summary>
internal static class PlacementTestData
{
    /// <summary><paramref name="count"/> members named like host names, weights 1, 1.5, … 4 (capacities in TB).</summary>
    public static List<PlacementMember> Members(Random random, int count, string prefix = "silo") =>
        Enumerable.Range(0, count)
            .Select(i => new PlacementMember($"{prefix}-{i:D5}-{random.Next(1000):D3}.node", 1.0 + (0.5 * random.Next(7))))
            .ToList();

    public static List<PlacementMember> EqualMembers(int count) =>
        Enumerable.Range(0, count).Select(i => new PlacementMember($"node-{i}", 1.0)).ToList();

    public static ulong[] Keys(Random random, int count)
    {
        var keys = new ulong[count];
        var bytes = new byte[8];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            keys[i] = BitConverter.ToUInt64(bytes);
        }

        return keys;
    }

    /// <summary>One key in every slot, so a comparison over these covers every key there is.</summary>
    public static IEnumerable<ulong> OneKeyPerSlot() =>
        Enumerable.Range(0, PlacementView.SlotCount).Select(slot => ((ulong)slot << (64 - PlacementView.SlotBits)) | 0x1234_5678UL);

    public static List<T> Shuffled<T>(Random random, IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
