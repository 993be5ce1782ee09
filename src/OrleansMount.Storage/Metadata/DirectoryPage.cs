namespace OrleansMount.Storage.Metadata;

/// <summary>
/// One page of a directory listing (<see cref="SnapshotView.ListDirectoryPageAsync"/>): its children in listing
/// order, and <see cref="Next"/>, the cursor of the next page (null when this page ends the directory).
/// </summary>
public sealed record DirectoryPage(IReadOnlyList<DirectoryItem> Items, string? Next);

/// <summary>
/// What <see cref="SnapshotView.ScanDirectoryPageAsync"/> found: whether the path is a directory (false only for a
/// first page with no child), how many children it handed to the sink, and the next page's cursor (null at the end).
/// </summary>
public readonly record struct DirectoryScan(bool Found, int Count, string? Next);
