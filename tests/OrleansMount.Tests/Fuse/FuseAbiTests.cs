using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OrleansMount.Native.Fuse;

namespace OrleansMount.Tests.Fuse;

/// <summary>The native layouts match libfuse 3.14 / glibc x86_64 (docs/PLATFORM.md, checked with offsetof).</summary>
[UnitTest]
public sealed class FuseAbiTests
{
    [Fact]
    public void Struct_sizes_match_the_platform()
    {
        Assert.Equal(144, Unsafe.SizeOf<NativeStat>());
        Assert.Equal(176, Unsafe.SizeOf<NativeEntryParam>());
        Assert.Equal(40, Unsafe.SizeOf<NativeFileInfo>());
        Assert.Equal(112, Unsafe.SizeOf<NativeStatVfs>());
        Assert.Equal(352, Unsafe.SizeOf<NativeLowLevelOps>());
        Assert.Equal(NativeLowLevelOps.Size, Unsafe.SizeOf<NativeLowLevelOps>());
        Assert.Equal(24, Unsafe.SizeOf<NativeArgs>());
        Assert.Equal(128, Unsafe.SizeOf<NativeConnInfo>());
        Assert.Equal(16, Unsafe.SizeOf<NativeContext>());
        Assert.Equal(16, Unsafe.SizeOf<NativeForgetData>());
        Assert.Equal(144, Marshal.SizeOf<NativeStat>());
        Assert.Equal(176, Marshal.SizeOf<NativeEntryParam>());
        Assert.Equal(40, Marshal.SizeOf<NativeFileInfo>());
    }

    [Fact]
    public void Field_offsets_match_the_platform()
    {
        Assert.Equal(16, Off<NativeStat>(nameof(NativeStat.NLink)));
        Assert.Equal(24, Off<NativeStat>(nameof(NativeStat.Mode)));
        Assert.Equal(48, Off<NativeStat>(nameof(NativeStat.Size)));
        Assert.Equal(88, Off<NativeStat>(nameof(NativeStat.MTimeSec)));
        Assert.Equal(16, Off<NativeEntryParam>(nameof(NativeEntryParam.Attr)));
        Assert.Equal(160, Off<NativeEntryParam>(nameof(NativeEntryParam.AttrTimeout)));
        Assert.Equal(168, Off<NativeEntryParam>(nameof(NativeEntryParam.EntryTimeout)));
        Assert.Equal(4, Off<NativeFileInfo>(nameof(NativeFileInfo.Bits)));
        Assert.Equal(16, Off<NativeFileInfo>(nameof(NativeFileInfo.Fh)));
        Assert.Equal(2u, NativeFileInfo.DirectIoBit);
        Assert.Equal(4u, NativeFileInfo.KeepCacheBit);
        Assert.Equal(0x40u, NativeFileInfo.CacheReaddirBit);
        Assert.Equal(80, Off<NativeStatVfs>(nameof(NativeStatVfs.NameMax)));
        Assert.Equal(24, Off<NativeConnInfo>(nameof(NativeConnInfo.Want)));
        Assert.Equal(28, Off<NativeConnInfo>(nameof(NativeConnInfo.MaxBackground)));

        // Header order: read is the 16th pointer, readdirplus the 42nd, lseek the last.
        Assert.Equal(120, Off<NativeLowLevelOps>(nameof(NativeLowLevelOps.Read)));
        Assert.Equal(304, Off<NativeLowLevelOps>(nameof(NativeLowLevelOps.ForgetMulti)));
        Assert.Equal(328, Off<NativeLowLevelOps>(nameof(NativeLowLevelOps.Readdirplus)));
        Assert.Equal(344, Off<NativeLowLevelOps>(nameof(NativeLowLevelOps.Lseek)));
    }

    [Fact]
    public void Timestamps_convert_to_timespec_with_positive_nanoseconds()
    {
        Assert.Equal((1L, 500_000_000L), FuseConvert.ToTimespec(DateTimeOffset.UnixEpoch.AddMilliseconds(1500)));
        Assert.Equal((-1L, 500_000_000L), FuseConvert.ToTimespec(DateTimeOffset.UnixEpoch.AddMilliseconds(-500)));
    }

    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
