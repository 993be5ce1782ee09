namespace OrleansMount.Native.Fuse;

/// <summary>File-system statistics (the managed face of <c>struct statvfs</c>).</summary>
public readonly record struct FuseStatFs
{
    public ulong BlockSize { get; init; }

    /// <summary>Fragment size; the unit of the block counts. 0 means "same as <see cref="BlockSize"/>".</summary>
    public ulong FragmentSize { get; init; }

    public ulong Blocks { get; init; }

    public ulong FreeBlocks { get; init; }

    public ulong AvailableBlocks { get; init; }

    public ulong Files { get; init; }

    public ulong FreeFiles { get; init; }

    public ulong AvailableFiles { get; init; }

    public ulong NameMax { get; init; }
}
