using OrleansMount.Core;

namespace OrleansMount.Storage.Metadata;

/// <summary>
/// One child of a directory: a file (with its entry) or a derived directory (Entry null).
/// <see cref="Ino"/> is its inode number (<see cref="InodeNumbers"/>), null when the snapshot was
/// imported before inode numbering (entry format 1).
/// </summary>
public sealed record DirectoryItem(string Name, SnapshotEntry? Entry, ulong? Ino = null)
{
    public bool IsDirectory => Entry is null;
}
