using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct fuse_entry_param</c> (176 bytes on x86_64).</summary>
[StructLayout(LayoutKind.Explicit, Size = 176)]
internal struct NativeEntryParam
{
    [FieldOffset(0)] public ulong Ino;
    [FieldOffset(8)] public ulong Generation;
    [FieldOffset(16)] public NativeStat Attr;
    [FieldOffset(160)] public double AttrTimeout;
    [FieldOffset(168)] public double EntryTimeout;
}
