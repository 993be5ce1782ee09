using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct statvfs</c> as glibc lays it out on x86_64 (112 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
internal struct NativeStatVfs
{
    [FieldOffset(0)] public ulong BlockSize;
    [FieldOffset(8)] public ulong FragmentSize;
    [FieldOffset(16)] public ulong Blocks;
    [FieldOffset(24)] public ulong FreeBlocks;
    [FieldOffset(32)] public ulong AvailableBlocks;
    [FieldOffset(40)] public ulong Files;
    [FieldOffset(48)] public ulong FreeFiles;
    [FieldOffset(56)] public ulong AvailableFiles;
    [FieldOffset(64)] public ulong FsId;
    [FieldOffset(72)] public ulong Flag;
    [FieldOffset(80)] public ulong NameMax;
}
