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
    public void Trim_gives_memory_freed_below_a_live_block_back_to_the_kernel()
    {
        // 64 MiB in 32 KiB blocks (below glibc's mmap threshold, so from an arena's heap), every page touched; the last
        // block stays live, so the freed ones below it are not the heap's free top and glibc keeps them resident.
        const int Block = 32 * 1024, Count = 2048;
        var blocks = new nint[Count];
        for (var i = 0; i < Count; i++)
        {
            blocks[i] = System.Runtime.InteropServices.Marshal.AllocHGlobal(Block); // malloc on Linux
            for (var page = 0; page < Block; page += 4096)
            {
                System.Runtime.InteropServices.Marshal.WriteByte(blocks[i], page, 1);
            }
        }

        try
        {
            for (var i = 0; i < Count - 1; i++)
            {
                System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[i]);
            }

            var before = ResidentBytes();
            Assert.True(MallocArenas.Trim(), "malloc_trim released nothing");
            var released = before - ResidentBytes();
            Assert.True(released >= 32L << 20, $"RSS fell by {released >> 20} MiB, not the ~64 MiB freed");
        }
        finally
        {
            System.Runtime.InteropServices.Marshal.FreeHGlobal(blocks[^1]);
        }
    }

    private static long ResidentBytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    [Fact]
    public void Refuses_fewer_than_one_arena() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MallocArenas.Limit(0));
}
