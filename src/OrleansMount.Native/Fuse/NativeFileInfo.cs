using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// <c>struct fuse_file_info</c> as libfuse 3.14 lays it out (40 bytes). The bitfield word moves in
/// libfuse 3.15 and later, which is one reason the soname is pinned to libfuse3.so.3 from 3.14.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct NativeFileInfo
{
    public const uint DirectIoBit = 1u << 1;
    public const uint KeepCacheBit = 1u << 2;
    public const uint CacheReaddirBit = 1u << 6;

    [FieldOffset(0)] public int Flags;
    [FieldOffset(4)] public uint Bits;
    [FieldOffset(16)] public ulong Fh;
    [FieldOffset(24)] public ulong LockOwner;
    [FieldOffset(32)] public uint PollEvents;
}
