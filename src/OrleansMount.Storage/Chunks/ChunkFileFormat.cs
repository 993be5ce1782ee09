using System.Buffers.Binary;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// The on-disk chunk file, version 1 (frozen by a golden test; a change needs a new version and
/// a reader for the old one). A file is self-describing: the header alone says how long the data
/// is and what its checksum is. All integers little-endian.
/// <code>
/// offset size field
///      0    4 magic "OMCK"
///      4    2 format version = 1
///      6    2 reserved flags = 0
///      8    4 data length in bytes (u32)
///     12    4 CRC32C of the data (see ChunkChecksum)
///     16    n data
/// </code>
/// </summary>
public static class ChunkFileFormat
{
    public const int HeaderLength = 16;
    public const ushort Version = 1;

    public static ReadOnlySpan<byte> Magic => "OMCK"u8;

    public static void WriteHeader(Span<byte> destination, int length, uint crc32C)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], crc32C);
    }

    /// <summary>Parses a header; false (with a reason) for a wrong magic, version or length.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out int length, out uint crc32C, out string? problem)
    {
        length = 0;
        crc32C = 0;
        if (header.Length < HeaderLength)
        {
            problem = $"header is {header.Length} bytes, expected {HeaderLength}";
            return false;
        }

        if (!header[..4].SequenceEqual(Magic))
        {
            problem = $"bad magic {Convert.ToHexString(header[..4])}";
            return false;
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != Version)
        {
            problem = $"unknown chunk file version {version}";
            return false;
        }

        var raw = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (raw > int.MaxValue)
        {
            problem = $"length {raw} out of range";
            return false;
        }

        length = (int)raw;
        crc32C = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        problem = null;
        return true;
    }
}
