namespace OrleansMount.Core;

/// <summary>
/// Inode numbers of a snapshot, collision-free by construction and stable across remounts and silos
/// (docs/decisions/0013-inode-numbers.md). Every file has an ordinal, its position in the snapshot's
/// key order, fixed at import:
/// <code>
/// root        1
/// file        (ordinal + 1) &lt;&lt; 12
/// directory   ((ordinal of the first file below it) + 1) &lt;&lt; 12 | depth   (depth = path segments, 1..4095)
/// </code>
/// Injective: a file's low 12 bits are 0 and a directory's are not; a directory is the depth-k prefix
/// of the first file below it, so two directories with the same first file and depth are the same.
/// </summary>
public static class InodeNumbers
{
    public const ulong Root = 1;

    /// <summary>Low bits holding a directory's depth.</summary>
    public const int DepthBits = 12;

    /// <summary>The deepest directory that can be numbered (a file may have one more segment, see <see cref="PathRules.MaxSegments"/>).</summary>
    public const int MaxDirectoryDepth = (1 << DepthBits) - 1;

    /// <summary>The largest ordinal whose number fits in 64 bits.</summary>
    public const long MaxOrdinal = (long)((ulong.MaxValue >> DepthBits) - 1);

    public static ulong File(long ordinal) => Slot(ordinal) << DepthBits;

    /// <summary>The ordinal of the file numbered <paramref name="ino"/>; null for the root and directories.</summary>
    public static long? FileOrdinal(ulong ino) => ino > Root && (ino & ((1UL << DepthBits) - 1)) == 0 ? (long)((ino >> DepthBits) - 1) : null;

    /// <param name="firstFileOrdinal">the ordinal of the first file below the directory in key order</param>
    /// <param name="depth">the directory's number of path segments ("a/b" is 2)</param>
    public static ulong Directory(long firstFileOrdinal, int depth)
    {
        if (depth is < 1 or > MaxDirectoryDepth)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"a directory's depth must be from 1 to {MaxDirectoryDepth}");
        }

        return (Slot(firstFileOrdinal) << DepthBits) | (uint)depth;
    }

    /// <summary>The number of segments of a path ("" is 0, "a/b" is 2).</summary>
    public static int Depth(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Length == 0 ? 0 : path.AsSpan().Count('/') + 1;
    }

    private static ulong Slot(long ordinal)
    {
        if (ordinal is < 0 or > MaxOrdinal)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"an ordinal must be from 0 to {MaxOrdinal}");
        }

        return (ulong)ordinal + 1;
    }
}
