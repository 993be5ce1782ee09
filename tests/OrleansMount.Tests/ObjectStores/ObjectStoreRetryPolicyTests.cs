using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Tests.ObjectStores;

/// <summary>The backoff of <see cref="ObjectStoreRetryPolicy"/>: exponential, capped, half of it random.</summary>
[UnitTest]
public sealed class ObjectStoreRetryPolicyTests
{
    [Fact]
    public void Delays_double_from_the_base_up_to_the_cap_with_half_of_each_random()
    {
        var policy = new ObjectStoreRetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(5) };
        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.DelayBefore(1, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), policy.DelayBefore(1, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), policy.DelayBefore(2, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(800), policy.DelayBefore(3, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), policy.DelayBefore(10, 0));
        Assert.Equal(TimeSpan.FromSeconds(5), policy.DelayBefore(60, 1));
        var random = new Random(3);
        for (var retry = 1; retry < 40; retry++)
        {
            var delay = policy.DelayBefore(retry, random.NextDouble());
            var full = Math.Min(200 * Math.Pow(2, retry - 1), 5000);
            Assert.InRange(delay.TotalMilliseconds, full / 2, full);
        }
    }

    [Fact]
    public void Settings_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { MaxAttempts = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { MaxDelay = TimeSpan.FromMilliseconds(1) }.Validate());
        Assert.Throws<ArgumentException>(() => new ObjectStoreRetryPolicy { Deadline = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ObjectStoreRetryPolicy().DelayBefore(0, 0.5));
        new ObjectStoreRetryPolicy().Validate();
    }
}
