namespace OrleansMount.Core;

/// <summary>Maps byte ranges of an object to chunk indexes for a fixed chunk size.</summary>
public static class ChunkMath
{
    public const int DefaultChunkSize = 4 * 1024 * 1024;

    /// <summary>Number of chunks of an object (a 0-byte object has none).</summary>
    public static int ChunkCount(long objectSize, int chunkSize) =>
        objectSize <= 0 ? 0 : checked((int)((objectSize + chunkSize - 1) / chunkSize));

    /// <summary>Length of chunk <paramref name="index"/> (the last one may be short).</summary>
    public static int ChunkLength(long objectSize, int chunkSize, int index)
    {
        var start = (long)index * chunkSize;
        if (index < 0 || start >= objectSize)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"chunk {index} is outside an object of {objectSize} bytes");
        }

        return (int)Math.Min(chunkSize, objectSize - start);
    }

    /// <summary>
    /// The chunks that a read of <paramref name="length"/> bytes at <paramref name="offset"/>
    /// touches, clipped to the object's size: (index, offset within chunk, bytes from it).
    /// </summary>
    public static IEnumerable<(int Index, int OffsetInChunk, int Count)> Slices(long objectSize, int chunkSize, long offset, long length)
    {
        if (offset < 0 || length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        var end = Math.Min(objectSize, offset + length);
        var position = offset;
        while (position < end)
        {
            var index = (int)(position / chunkSize);
            var within = (int)(position - ((long)index * chunkSize));
            var count = (int)Math.Min(chunkSize - within, end - position);
            yield return (index, within, count);
            position += count;
        }
    }
}
