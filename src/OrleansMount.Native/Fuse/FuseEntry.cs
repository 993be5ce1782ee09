namespace OrleansMount.Native.Fuse;

/// <summary>
/// A lookup result (the managed face of <c>struct fuse_entry_param</c>). Replying with an entry whose
/// <see cref="Ino"/> is not 0 hands the kernel one lookup reference to that inode, which it gives back
/// through <see cref="IFuseFileSystem.Forget"/>. An entry with <see cref="Ino"/> 0 is a negative entry:
/// the kernel caches "does not exist" for <see cref="EntryTimeout"/> seconds and takes no reference.
/// </summary>
public readonly record struct FuseEntry
{
    public ulong Ino { get; init; }

    public ulong Generation { get; init; }

    public FuseAttr Attr { get; init; }

    /// <summary>Seconds the kernel may cache <see cref="Attr"/>.</summary>
    public double AttrTimeout { get; init; }

    /// <summary>Seconds the kernel may cache the name → inode binding.</summary>
    public double EntryTimeout { get; init; }
}
