using System.Buffers.Binary;
using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// One row of the chunk store's RocksDB catalog (frozen by a golden test).
/// Key (20 bytes): the 16-byte identity, then the chunk index as a big-endian u32, so rows sort
/// by identity and then index. Value, version 2 (21 bytes, integers little-endian; it describes a chunk file of
/// format version 2, so a row of version 1 names a file of the old format and is dropped with its file at start):
/// <code>
/// offset size field
///      0    1 record version = 2
///      1    4 data length (u32)
///      5    4 CRC32C of the data
///      9    8 last access, UTC ticks (i64)
///     17    4 the file's block size (u32)
/// </code>
/// </summary>
public readonly record struct ChunkCatalogRecord(int Length, uint Crc32C, long LastAccessTicks, int BlockSize)
{
    public const int KeyLength = ObjectIdentity.Length + 4;
    public const int ValueLength = 21;
    public const byte Version = 2;

    public static void WriteKey(ChunkId id, Span<byte> destination)
    {
        id.Identity.WriteTo(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination[ObjectIdentity.Length..], checked((uint)id.Index));
    }

    public static bool TryReadKey(ReadOnlySpan<byte> key, out ChunkId id)
    {
        id = default;
        if (key.Length != KeyLength)
        {
            return false;
        }

        var index = BinaryPrimitives.ReadUInt32BigEndian(key[ObjectIdentity.Length..]);
        if (index > int.MaxValue)
        {
            return false;
        }

        id = new ChunkId(ObjectIdentity.FromBytes(key), (int)index);
        return true;
    }

    public void WriteValue(Span<byte> destination)
    {
        destination[0] = Version;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[5..], Crc32C);
        BinaryPrimitives.WriteInt64LittleEndian(destination[9..], LastAccessTicks);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[17..], (uint)BlockSize);
    }

    /// <summary>False for an unknown version or a malformed value (the row is then dropped).</summary>
    public static bool TryReadValue(ReadOnlySpan<byte> value, out ChunkCatalogRecord record)
    {
        record = default;
        if (value.Length != ValueLength || value[0] != Version)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(value[1..]);
        var blockSize = BinaryPrimitives.ReadUInt32LittleEndian(value[17..]);
        if (length > int.MaxValue || blockSize is < ChunkFileFormat.MinBlockSize or > ChunkFileFormat.MaxBlockSize)
        {
            return false;
        }

        record = new ChunkCatalogRecord((int)length, BinaryPrimitives.ReadUInt32LittleEndian(value[5..]), BinaryPrimitives.ReadInt64LittleEndian(value[9..]), (int)blockSize);
        return true;
    }
}
