using OrleansMount.Client.Mount;

namespace OrleansMount.Tests.Mount;

/// <summary>When listings carry files' attributes: names only until stat walks follow them, and back when they stop.</summary>
[UnitTest]
public sealed class ListingAttributesTests
{
    [Fact]
    public void Names_only_until_lookups_follow_then_attributes_until_a_probe_sees_none()
    {
        var policy = new ListingAttributes();
        Assert.False(policy.Open(7));
        for (var i = 1; i < ListingAttributes.SwitchLookups; i++)
        {
            policy.LookedUp(7);
        }

        Assert.False(policy.WithAttributes);
        policy.LookedUp(7);
        Assert.True(policy.WithAttributes);
        Assert.Equal(1, policy.Switches);

        // A stat walk goes on: each probe (listed names only) is looked up, so attributes stay.
        for (var round = 0; round < 3; round++)
        {
            for (var i = 1; i < ListingAttributes.ProbeEvery; i++)
            {
                Assert.True(policy.Open(7));
            }

            policy.LookedUp(7); // the last listing's files (the switch's directory, then each probe)
            Assert.False(policy.Open(7)); // the probe
            Assert.True(policy.WithAttributes);
        }

        // A walk of names: nothing looked up after the probe, so the next probe goes back to names only.
        policy.LookedUp(7); // the last probe's files
        for (var i = 1; i < ListingAttributes.ProbeEvery; i++)
        {
            Assert.True(policy.Open(7));
        }

        Assert.False(policy.Open(7));
        Assert.True(policy.WithAttributes);
        for (var i = 1; i < ListingAttributes.ProbeEvery; i++)
        {
            Assert.True(policy.Open(7));
        }

        Assert.False(policy.Open(7));
        Assert.False(policy.WithAttributes);
        Assert.Equal(2, policy.Switches);
        Assert.False(policy.Open(7));
    }
}
