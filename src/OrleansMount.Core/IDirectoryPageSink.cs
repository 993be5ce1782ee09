namespace OrleansMount.Core;

/// <summary>
/// Receives a directory page's children in listing order, straight from the metadata store's keys and values:
/// a page of 2,000 children is written without a string or an object per child
/// (docs/decisions/0032-listing-pages-without-objects.md). The spans are valid only during the call.
/// </summary>
public interface IDirectoryPageSink
{
    /// <param name="path">the file's path (UTF-8, the key without its header)</param>
    /// <param name="name">its name: the end of <paramref name="path"/></param>
    /// <param name="value">its stored value (<see cref="EntryCodec"/>)</param>
    /// <param name="ino">its inode number; null in a snapshot imported before inode numbering</param>
    void File(ReadOnlySpan<byte> path, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ulong? ino);

    /// <param name="name">the subdirectory's name (UTF-8)</param>
    /// <param name="ino">its inode number; null in a snapshot imported before inode numbering</param>
    void Directory(ReadOnlySpan<byte> name, ulong? ino);
}
