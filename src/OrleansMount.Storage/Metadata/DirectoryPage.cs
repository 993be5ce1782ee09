namespace OrleansMount.Storage.Metadata;

/// <summary>
/// One page of a directory listing (<see cref="SnapshotView.ListDirectoryPageAsync"/>): its children in listing
/// order, and <see cref="Next"/>, the cursor of the next page (null when this page ends the directory).
/// </summary>
public sealed record DirectoryPage(IReadOnlyList<DirectoryItem> Items, string? Next);
