namespace OrleansMount.Native.Fuse;

/// <summary>File type bits of <c>st_mode</c>; combine with permission bits, e.g. <c>Directory | 0o555</c>.</summary>
public static class FuseFileMode
{
    public const uint TypeMask = 0xF000;
    public const uint Directory = 0x4000;
    public const uint RegularFile = 0x8000;
    public const uint Symlink = 0xA000;
}
