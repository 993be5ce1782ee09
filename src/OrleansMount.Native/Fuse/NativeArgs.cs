using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct fuse_args</c> (24 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct NativeArgs
{
    [FieldOffset(0)] public int Argc;
    [FieldOffset(8)] public nint Argv;
    [FieldOffset(16)] public int Allocated;
}
