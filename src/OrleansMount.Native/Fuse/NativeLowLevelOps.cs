using System.Runtime.InteropServices;

namespace OrleansMount.Native.Fuse;

/// <summary>
/// <c>struct fuse_lowlevel_ops</c> in libfuse 3.14: 44 function pointers in header order (352 bytes).
/// A zero entry gets libfuse's default (ENOSYS for most operations).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct NativeLowLevelOps
{
    public const int Size = 352;

    [FieldOffset(0)] public nint Init;
    [FieldOffset(8)] public nint Destroy;
    [FieldOffset(16)] public nint Lookup;
    [FieldOffset(24)] public nint Forget;
    [FieldOffset(32)] public nint Getattr;
    [FieldOffset(40)] public nint Setattr;
    [FieldOffset(48)] public nint Readlink;
    [FieldOffset(56)] public nint Mknod;
    [FieldOffset(64)] public nint Mkdir;
    [FieldOffset(72)] public nint Unlink;
    [FieldOffset(80)] public nint Rmdir;
    [FieldOffset(88)] public nint Symlink;
    [FieldOffset(96)] public nint Rename;
    [FieldOffset(104)] public nint Link;
    [FieldOffset(112)] public nint Open;
    [FieldOffset(120)] public nint Read;
    [FieldOffset(128)] public nint Write;
    [FieldOffset(136)] public nint Flush;
    [FieldOffset(144)] public nint Release;
    [FieldOffset(152)] public nint Fsync;
    [FieldOffset(160)] public nint Opendir;
    [FieldOffset(168)] public nint Readdir;
    [FieldOffset(176)] public nint Releasedir;
    [FieldOffset(184)] public nint Fsyncdir;
    [FieldOffset(192)] public nint Statfs;
    [FieldOffset(200)] public nint Setxattr;
    [FieldOffset(208)] public nint Getxattr;
    [FieldOffset(216)] public nint Listxattr;
    [FieldOffset(224)] public nint Removexattr;
    [FieldOffset(232)] public nint Access;
    [FieldOffset(240)] public nint Create;
    [FieldOffset(248)] public nint Getlk;
    [FieldOffset(256)] public nint Setlk;
    [FieldOffset(264)] public nint Bmap;
    [FieldOffset(272)] public nint Ioctl;
    [FieldOffset(280)] public nint Poll;
    [FieldOffset(288)] public nint WriteBuf;
    [FieldOffset(296)] public nint RetrieveReply;
    [FieldOffset(304)] public nint ForgetMulti;
    [FieldOffset(312)] public nint Flock;
    [FieldOffset(320)] public nint Fallocate;
    [FieldOffset(328)] public nint Readdirplus;
    [FieldOffset(336)] public nint CopyFileRange;
    [FieldOffset(344)] public nint Lseek;
}
