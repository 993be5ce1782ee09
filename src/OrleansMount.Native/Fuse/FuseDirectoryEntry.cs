namespace OrleansMount.Native.Fuse;

/// <summary>
/// One directory entry for <see cref="FuseRequest.ReplyDirectory"/>. <see cref="Mode"/> needs only the
/// type bits. For readdirplus set <see cref="Entry"/>: an entry with a non-zero <c>Entry.Ino</c> (other
/// than "." and "..") hands the kernel a lookup reference, exactly like a lookup reply.
/// </summary>
public readonly record struct FuseDirectoryEntry(string Name, ulong Ino, uint Mode)
{
    public FuseEntry Entry { get; init; }
}
