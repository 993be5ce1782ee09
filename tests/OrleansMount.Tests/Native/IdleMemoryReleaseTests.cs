using OrleansMount.Native.Memory;

namespace OrleansMount.Tests.Native;

/// <summary>Memory goes back after a burst of allocation, once the process is idle; never during steady work.</summary>
[UnitTest]
public sealed class IdleMemoryReleaseTests
{
    [Theory]
    [InlineData(IdleMemoryRelease.Burst, 0, true)] // a walk ended
    [InlineData(IdleMemoryRelease.Burst, IdleMemoryRelease.Idle - 1, true)]
    [InlineData(IdleMemoryRelease.Burst, IdleMemoryRelease.Idle, false)] // still busy
    [InlineData(IdleMemoryRelease.Burst - 1, 0, false)] // too little to give back
    [InlineData(0, 0, false)]
    public void Due_after_a_burst_once_idle(long sinceRelease, long sinceTick, bool due) =>
        Assert.Equal(due, IdleMemoryRelease.Due(sinceRelease, sinceTick));
}
