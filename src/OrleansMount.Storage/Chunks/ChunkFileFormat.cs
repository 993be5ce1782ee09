using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// The on-disk chunk file, version 2 (frozen by a golden test; a change needs a new version). A file is
/// self-describing and names the chunk it holds, and every block of its data carries its own CRC32C, so a
/// reader verifies exactly the blocks it returns, on every read (docs/decisions/0012-chunk-blocks.md: 16 KiB blocks).
/// All integers little-endian.
/// <code>
/// offset size field
///      0    4 magic "OMCK"
///      4    2 format version = 2
///      6    2 reserved flags = 0
///      8   16 object identity (big-endian, as ObjectIdentity.WriteTo)
///     24    4 chunk index (u32)
///     28    4 data length in bytes (u32)
///     32    4 block size in bytes (u32, a power of two from 4 KiB to 16 MiB)
///     36    4 CRC32C of the whole data (see ChunkChecksum)
///     40    4 CRC32C of bytes 0..40 followed by bytes 44..D (the header's own check: table and padding)
///     44   4n block table: CRC32C of each block of the data, n = ceil(length / block size)
///  44+4n    zero padding up to D, the first multiple of 4096 after the table
///      D    length data
/// </code>
/// The data starts on a page boundary, so a block read from disk touches no page more than it must.
/// Version 1 (16-byte header: magic, version, flags, length, one CRC32C of the whole data) is no longer
/// read: a store finding such files at start deletes them and they are fetched again.
/// </summary>
public static class ChunkFileFormat
{
    /// <summary>Bytes before the block table.</summary>
    public const int FixedHeaderLength = 44;
    public const ushort Version = 2;
    public const int MinBlockSize = 4096;
    public const int MaxBlockSize = 16 << 20;

    /// <summary>The block size new files are written with (chosen by measurement: docs/decisions/0012-chunk-blocks.md).</summary>
    public const int DefaultBlockSize = 16 * 1024;

    public static ReadOnlySpan<byte> Magic => "OMCK"u8;

    /// <summary>Blocks in <paramref name="length"/> bytes of data.</summary>
    public static int BlockCount(int length, int blockSize) => (int)(((long)length + blockSize - 1) / blockSize);

    /// <summary>Data starts at a multiple of this (a page).</summary>
    public const int DataAlignment = 4096;

    /// <summary>Offset of the first data byte in a file of <paramref name="length"/> bytes of data: after the table, page-aligned.</summary>
    public static int DataOffset(int length, int blockSize) =>
        (FixedHeaderLength + (4 * BlockCount(length, blockSize)) + DataAlignment - 1) & ~(DataAlignment - 1);

    /// <summary>The whole file's size for <paramref name="length"/> bytes of data.</summary>
    public static long FileLength(int length, int blockSize) => DataOffset(length, blockSize) + (long)length;

    /// <summary>
    /// The header and block table for <paramref name="data"/>; <paramref name="crc32C"/> is the whole data's CRC32C,
    /// already known to the caller. The block checksums are <paramref name="blockCrcs"/> when the caller took them over
    /// these bytes in blocks of <paramref name="blockSize"/> (one for each block), else computed here, one pass per block.
    /// </summary>
    public static byte[] BuildHeader(ChunkId id, ReadOnlySpan<byte> data, uint crc32C, int blockSize = DefaultBlockSize, ReadOnlySpan<uint> blockCrcs = default)
    {
        CheckBlockSize(blockSize);
        var header = new byte[DataOffset(data.Length, blockSize)];
        var span = header.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 0);
        id.Identity.WriteTo(span[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], checked((uint)id.Index));
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[32..], (uint)blockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[36..], crc32C);
        var table = span[FixedHeaderLength..];
        var given = blockCrcs.Length == BlockCount(data.Length, blockSize);
        for (var block = 0; block * (long)blockSize < data.Length; block++)
        {
            var start = block * blockSize;
            var crc = given ? blockCrcs[block] : ChunkChecksum.Compute(data.Slice(start, Math.Min(blockSize, data.Length - start)));
            BinaryPrimitives.WriteUInt32LittleEndian(table[(4 * block)..], crc);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], HeaderChecksum(span));
        return header;
    }

    /// <summary>
    /// Reads and checks the header of an open chunk file: magic, version, the header's own checksum, and that
    /// the file's size is exactly header plus data. Null with a <paramref name="problem"/> when any fails.
    /// </summary>
    public static ChunkFileHeader? TryRead(SafeFileHandle file, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(file);
        Span<byte> fixedPart = stackalloc byte[FixedHeaderLength];
        var read = ReadFully(file, fixedPart, 0);
        if (read < 8)
        {
            problem = $"file holds {read} bytes, not a chunk header";
            return null;
        }

        if (!fixedPart[..4].SequenceEqual(Magic))
        {
            problem = $"bad magic {Convert.ToHexString(fixedPart[..4])}";
            return null;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart[4..]);
        if (version != Version)
        {
            problem = $"chunk file format version {version}, this build reads {Version}";
            return null;
        }

        if (read != FixedHeaderLength)
        {
            problem = $"header cut short at {read} bytes";
            return null;
        }

        var rawLength = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[28..]);
        var blockSize = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[32..]), int.MaxValue);
        var index = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart[24..]);
        if (rawLength > int.MaxValue || index > int.MaxValue || !IsValidBlockSize(blockSize))
        {
            problem = $"header fields out of range (length {rawLength}, index {index}, block size {blockSize})";
            return null;
        }

        var length = (int)rawLength;
        var headerLength = DataOffset(length, blockSize);
        var header = new byte[headerLength];
        fixedPart.CopyTo(header);
        if (ReadFully(file, header.AsSpan(FixedHeaderLength), FixedHeaderLength) != headerLength - FixedHeaderLength)
        {
            problem = "header (block table and padding) cut short";
            return null;
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(40));
        var actual = HeaderChecksum(header);
        if (stored != actual)
        {
            problem = $"header checksum is {actual:x8}, the header says {stored:x8}";
            return null;
        }

        var fileLength = RandomAccess.GetLength(file);
        if (fileLength != headerLength + (long)length)
        {
            problem = $"file is {fileLength} bytes, its header says {headerLength + (long)length}";
            return null;
        }

        var blocks = new uint[BlockCount(length, blockSize)];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(FixedHeaderLength + (4 * i)));
        }

        problem = null;
        return new ChunkFileHeader(
            new ChunkId(ObjectIdentity.FromBytes(header.AsSpan(8, ObjectIdentity.Length)), (int)index),
            length,
            blockSize,
            BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(36)),
            blocks);
    }

    private static bool IsValidBlockSize(int blockSize) => blockSize is >= MinBlockSize and <= MaxBlockSize && (blockSize & (blockSize - 1)) == 0;

    /// <summary>Throws unless <paramref name="blockSize"/> is a power of two from <see cref="MinBlockSize"/> to <see cref="MaxBlockSize"/>.</summary>
    public static void CheckBlockSize(int blockSize)
    {
        if (!IsValidBlockSize(blockSize))
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, $"a chunk block size is a power of two from {MinBlockSize} to {MaxBlockSize}");
        }
    }

    /// <summary>CRC32C of bytes 0..40 and of the block table and padding (everything of the header but the field itself).</summary>
    private static uint HeaderChecksum(ReadOnlySpan<byte> header) =>
        ChunkChecksum.Compute(header[..40], header[FixedHeaderLength..]);

    internal static int ReadFully(SafeFileHandle file, Span<byte> destination, long offset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(file, destination[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
