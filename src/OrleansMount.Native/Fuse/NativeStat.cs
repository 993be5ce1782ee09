using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct stat</c> as glibc lays it out on x86_64 (144 bytes). Other architectures differ.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct NativeStat
{
    [FieldOffset(0)] public ulong Dev;
    [FieldOffset(8)] public ulong Ino;
    [FieldOffset(16)] public ulong NLink;
    [FieldOffset(24)] public uint Mode;
    [FieldOffset(28)] public uint Uid;
    [FieldOffset(32)] public uint Gid;
    [FieldOffset(40)] public ulong RDev;
    [FieldOffset(48)] public long Size;
    [FieldOffset(56)] public long BlkSize;
    [FieldOffset(64)] public long Blocks;
    [FieldOffset(72)] public long ATimeSec;
    [FieldOffset(80)] public long ATimeNsec;
    [FieldOffset(88)] public long MTimeSec;
    [FieldOffset(96)] public long MTimeNsec;
    [FieldOffset(104)] public long CTimeSec;
    [FieldOffset(112)] public long CTimeNsec;
}
