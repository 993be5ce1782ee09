using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>
/// An inode the kernel holds a reference to. <see cref="Lookups"/> counts the references handed out
/// (lookup replies and readdirplus entries); <c>forget</c> gives them back, and at zero the node goes.
/// </summary>
internal sealed class FsNode(ulong ino, string path, ListingItem? file)
{
    public ulong Ino { get; } = ino;

    /// <summary>Path inside the snapshot ("" is the snapshot root).</summary>
    public string Path { get; } = path;

    /// <summary>The file's listing entry; null for directories.</summary>
    public ListingItem? File { get; } = file;

    public bool IsDirectory => File is null;

    public long Lookups;
}
