using OrleansMount.Core;

namespace OrleansMount.Storage.Metadata;

/// <summary>One child of a directory: a file (with its entry) or a derived directory (Entry null).</summary>
public sealed record DirectoryItem(string Name, SnapshotEntry? Entry)
{
    public bool IsDirectory => Entry is null;
}
