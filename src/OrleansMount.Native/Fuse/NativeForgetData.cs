using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct fuse_forget_data</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeForgetData
{
    public ulong Ino;
    public ulong NLookup;
}
