using System.Buffers.Binary;
namespace OrleansMount.Storage.Chunks;

/// <summary>
/// The body of a chunk a silo streams to a mount of its node while it fills it (<c>POST /api/v1/chunks/stream</c>,
/// decision 0035): the chunk in <see cref="BlockSize"/> blocks (the last one shorter), each followed
/// by the CRC32C the fill took of it as it arrived (4 bytes, little-endian), then the CRC32C of the whole chunk. The
/// mount serves a block only once its checksum matched, so it can answer a read before the chunk is whole without
/// ever serving bytes nobody checked; a fill that fails midway cuts the body short.
/// </summary>
public static class ChunkStreamFormat
{
    /// <summary>The content type of a streamed chunk (a silo answers JSON, the chunk's location, when it does not stream).</summary>
    public const string MediaType = "application/x-orleansmount-chunk-stream";

    /// <summary>The blocks a stream checks (the chunk files' default block size).</summary>
    public const int BlockSize = ChunkFileFormat.DefaultBlockSize;

    public const int CrcLength = 4;

    public static int BlockCount(int length) => ChunkFileFormat.BlockCount(length, BlockSize);

    /// <summary>The body's length for a chunk of <paramref name="length"/> bytes.</summary>
    public static long BodyLength(int length) => length + ((long)BlockCount(length) * CrcLength) + CrcLength;

    /// <summary>Where block <paramref name="block"/> starts in the chunk, and its length.</summary>
    public static (int Start, int Length) Block(int length, int block)
    {
        var start = block * BlockSize;
        return (start, Math.Min(BlockSize, length - start));
    }

    public static void WriteCrc(Span<byte> destination, uint crc) => BinaryPrimitives.WriteUInt32LittleEndian(destination, crc);

    public static uint ReadCrc(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source);
}
