using OrleansMount.Native.Memory;

namespace OrleansMount.Tests.Native;

[UnitTest]
public sealed class MallocArenasTests
{
    [Fact]
    public void Caps_the_arenas_through_glibc_unless_the_environment_decides()
    {
        // The silo calls this first thing (Program.cs). glibc's mallopt answers 1 when it took the value; the test
        // host runs on glibc (Debian), so anything but "true" without the variable means the binding is broken.
        var fromEnvironment = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(MallocArenas.Variable));
        Assert.Equal(!fromEnvironment, MallocArenas.Limit(2));
    }

    [Fact]
    public void Refuses_fewer_than_one_arena() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MallocArenas.Limit(0));
}
