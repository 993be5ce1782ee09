namespace OrleansMount.Native.Fuse;

/// <summary>The Linux <c>open(2)</c> flags the kernel forwards in <c>fuse_file_info.flags</c> (x86_64 values).</summary>
[Flags]
public enum FuseOpenFlags
{
    ReadOnly = 0,
    WriteOnly = 0x1,
    ReadWrite = 0x2,
    AccessModeMask = 0x3,
    Create = 0x40,
    Exclusive = 0x80,
    NoCtty = 0x100,
    Truncate = 0x200,
    Append = 0x400,
    NonBlock = 0x800,
    Direct = 0x4000,
    LargeFile = 0x8000,
    Directory = 0x10000,
    NoFollow = 0x20000,
    NoAtime = 0x40000,
    CloseOnExec = 0x80000,
}
