using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary><c>struct fuse_ctx</c> (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeContext
{
    public uint Uid;
    public uint Gid;
    public int Pid;
    public uint Umask;
}
