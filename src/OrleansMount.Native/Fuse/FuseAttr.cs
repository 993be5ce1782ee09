namespace OrleansMount.Native.Fuse;

/// <summary>
/// File attributes handed to the kernel (the managed face of <c>struct stat</c>).
/// <see cref="Mode"/> carries the file type bits (see <see cref="FuseFileMode"/>) and the permission bits.
/// When <see cref="Blocks"/> is 0 the binding reports <c>ceil(Size / 512)</c> so <c>du</c> is sensible.
/// </summary>
public readonly record struct FuseAttr
{
    public ulong Ino { get; init; }

    public uint Mode { get; init; }

    public ulong NLink { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    public long Size { get; init; }

    /// <summary>Allocated size in 512-byte units; 0 means "derive from <see cref="Size"/>".</summary>
    public long Blocks { get; init; }

    /// <summary>Preferred I/O size reported to callers (st_blksize); 0 lets the binding use 128 KiB.</summary>
    public int BlkSize { get; init; }

    public DateTimeOffset ATime { get; init; }

    public DateTimeOffset MTime { get; init; }

    public DateTimeOffset CTime { get; init; }
}
