using Microsoft.Win32.SafeHandles;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// An open, verified chunk file. It stays readable after the store evicts the chunk (on Linux an
/// unlinked file lives while a descriptor is open), so a reader never races eviction. Reads may
/// run concurrently (positional reads). Dispose to close the descriptor.
/// </summary>
public sealed class ChunkHandle : IDisposable
{
    internal ChunkHandle(SafeFileHandle file, string path, int length, uint crc32C)
    {
        FileHandle = file;
        Path = path;
        Length = length;
        Crc32C = crc32C;
    }

    /// <summary>Bytes of chunk data.</summary>
    public int Length { get; }

    /// <summary>The chunk file's path (the file may have been evicted since it was opened).</summary>
    public string Path { get; }

    /// <summary>CRC32C of the chunk data.</summary>
    public uint Crc32C { get; }

    /// <summary>The open file, for zero-copy serving (data starts at <see cref="DataOffset"/>).</summary>
    public SafeFileHandle FileHandle { get; }

    /// <summary>Offset of the chunk's first byte in the file.</summary>
    public static long DataOffset => ChunkFileFormat.HeaderLength;

    /// <summary>
    /// Copies chunk bytes from <paramref name="offsetInChunk"/>; returns the count copied, short
    /// only at the end of the chunk (0 at or past it).
    /// </summary>
    public int Read(long offsetInChunk, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offsetInChunk);
        if (offsetInChunk >= Length)
        {
            return 0;
        }

        var wanted = (int)Math.Min(destination.Length, Length - offsetInChunk);
        var total = 0;
        while (total < wanted)
        {
            var read = RandomAccess.Read(FileHandle, destination[total..wanted], DataOffset + offsetInChunk + total);
            if (read == 0)
            {
                throw new IOException($"chunk file {Path} ended at {offsetInChunk + total} of {Length} bytes (truncated while open)");
            }

            total += read;
        }

        return total;
    }

    public void Dispose() => FileHandle.Dispose();
}
