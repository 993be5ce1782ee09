using OrleansMount.Client.Mount;
using OrleansMount.Core.Runtime;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

/// <summary>Decision 0030: the mount's read path compiled at start.</summary>
[UnitTest]
public sealed class ReadPathCompilationTests(ITestOutputHelper output)
{
    [Fact]
    public void The_mount_read_path_compiles_and_nothing_generic_or_bodiless_is_attempted()
    {
        var (compiled, failed) = MethodCompilation.Compile(ReadPathCompilation.Types());
        output.WriteLine($"{compiled} compiled, {failed} failed");
        Assert.True(compiled > 500, $"{compiled} methods compiled");
        Assert.True(failed < compiled / 20, $"{failed} of {compiled + failed} failed");

        // An interface, a generic definition and a generic method compile nothing; a constructor does.
        Assert.Equal((0, 0), MethodCompilation.Compile([typeof(IMountBackend), typeof(List<>)]));
        Assert.Equal((1, 0), MethodCompilation.Compile([typeof(Probe)]));
    }

    [Fact]
    public void Types_are_found_by_namespace_and_under_it_only()
    {
        var types = MethodCompilation.TypesIn(typeof(MethodCompilation).Assembly, "OrleansMount.Core.Runtime").ToList();
        Assert.Contains(typeof(MethodCompilation), types);
        Assert.All(types, t => Assert.StartsWith("OrleansMount.Core.Runtime", t.Namespace, StringComparison.Ordinal));
        Assert.DoesNotContain(typeof(OrleansMount.Core.ChunkMath), MethodCompilation.TypesIn(typeof(MethodCompilation).Assembly, "OrleansMount.Core.Run"));
    }

    private sealed class Probe
    {
        public static T Echo<T>(T value) => value;
    }
}
