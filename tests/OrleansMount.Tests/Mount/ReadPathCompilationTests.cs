using OrleansMount.Client.Mount;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

/// <summary>Decision 0030: the mount's read path compiled at start.</summary>
[UnitTest]
public sealed class ReadPathCompilationTests(ITestOutputHelper output)
{
    [Fact]
    public void The_mount_read_path_compiles_and_nothing_generic_or_bodiless_is_attempted()
    {
        var (compiled, failed) = ReadPathCompilation.Compile(ReadPathCompilation.Types());
        output.WriteLine($"{compiled} compiled, {failed} failed");
        Assert.True(compiled > 500, $"{compiled} methods compiled");
        Assert.True(failed < compiled / 20, $"{failed} of {compiled + failed} failed");

        // An interface, a generic definition and a generic method compile nothing; a constructor does.
        Assert.Equal((0, 0), ReadPathCompilation.Compile([typeof(IMountBackend), typeof(List<>)]));
        Assert.Equal((1, 0), ReadPathCompilation.Compile([typeof(Probe)]));
    }

    [Fact]
    public void Types_are_found_by_namespace_and_under_it_only()
    {
        var types = ReadPathCompilation.TypesIn(typeof(OrleansMount.Core.ChunkMath).Assembly, "OrleansMount.Core.Placement").ToList();
        Assert.NotEmpty(types);
        Assert.All(types, t => Assert.StartsWith("OrleansMount.Core.Placement", t.Namespace, StringComparison.Ordinal));
        Assert.DoesNotContain(typeof(OrleansMount.Core.ChunkMath), types);
        Assert.Empty(ReadPathCompilation.TypesIn(typeof(OrleansMount.Core.ChunkMath).Assembly, "OrleansMount.Core.Place")); // a prefix, not a namespace
    }

    private sealed class Probe
    {
        public static T Echo<T>(T value) => value;
    }
}
