using OrleansMount.Core;
using OrleansMount.Core.Placement;

namespace OrleansMount.Tests.Placement;

/// <summary>
/// Freezes the placement functions: every silo and client, of every version, must agree on keys
/// and owners. If this fails, a change altered a hash, the slot count or the score; that moves
/// nearly every key in a running cluster, so it needs a versioned migration, not a new expected value.
/// </summary>
[UnitTest]
public sealed class PlacementGoldenTests
{
    private static readonly PlacementMember[] Members =
        [new("silo-a.node", 1.0), new("silo-b.node", 2.0), new("silo-c.node", 4.0), new("silo-d.node", 2.0)];

    [Fact]
    public void Placement_keys_are_frozen()
    {
        var identity = ObjectIdentity.Compute("s3://bucket/ds/train/img_000001.jpg", "\"9b2cf535f27731c974343645a3985328\"", 123_456);
        Assert.Equal(8648101889623562005UL, PlacementKey.Of(new ChunkId(identity, 0)));
        Assert.Equal(7492364697667697555UL, PlacementKey.Of(new ChunkId(identity, 7)));
        Assert.Equal(14347048856625862721UL, PlacementKey.Of(new RangeId(Hash128.Of("range"u8))));
    }

    [Fact]
    public void Owners_are_frozen()
    {
        // The view and the plain function differ on a key's owner by design: the view ranks the key's
        // slot, the plain function the key itself.
        var view = new PlacementView(Members);
        var plain = new RendezvousPlacement(Members);
        ulong[] keys = [0UL, 1UL << 63, 0x0123_4567_89AB_CDEFUL, ulong.MaxValue, 0xDEAD_BEEF_0000_0001UL, 0x5555_5555_5555_5555UL];
        Assert.Equal("silo-a.node silo-c.node silo-c.node silo-c.node silo-b.node silo-c.node", string.Join(' ', keys.Select(view.OwnerOf)));
        Assert.Equal("silo-a.node silo-d.node silo-d.node silo-c.node silo-b.node silo-d.node", string.Join(' ', keys.Select(plain.OwnerOf)));
        Assert.Equal("silo-c.node silo-d.node silo-b.node silo-a.node", string.Join(' ', view.OwnersOf(0x0123_4567_89AB_CDEFUL, 4)));
        Assert.Equal("silo-d.node silo-c.node silo-a.node silo-b.node", string.Join(' ', plain.OwnersOf(0x0123_4567_89AB_CDEFUL, 4)));
    }
}
