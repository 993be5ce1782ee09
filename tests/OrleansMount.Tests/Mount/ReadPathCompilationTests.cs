using OrleansMount.Client.Mount;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

[UnitTest]
public sealed class ReadPathCompilationTests(ITestOutputHelper output)
{
    [Fact]
    public void Compiles_the_read_path_methods_and_skips_what_has_no_body_or_is_generic()
    {
        var (compiled, failed) = ReadPathCompilation.Compile(ReadPathCompilation.Types());
        output.WriteLine($"{compiled} compiled, {failed} failed");
        Assert.True(compiled > 500, $"{compiled} methods compiled");
        Assert.True(failed < compiled / 20, $"{failed} of {compiled + failed} failed");

        // A type of nothing but an interface, a generic definition and a generic method compiles nothing.
        Assert.Equal((0, 0), ReadPathCompilation.Compile([typeof(IMountBackend), typeof(List<>)]));
        Assert.Equal((1, 0), ReadPathCompilation.Compile([typeof(Probe)]));
    }

    private sealed class Probe
    {
        public static T Echo<T>(T value) => value;
    }
}
