using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>A chunk file's parsed and checked header (<see cref="ChunkFileFormat"/>).</summary>
/// <param name="Id">the chunk the file says it holds</param>
/// <param name="Length">bytes of data</param>
/// <param name="BlockSize">bytes per checksummed block (the last block may be shorter)</param>
/// <param name="Crc32C">CRC32C of the whole data</param>
/// <param name="BlockCrcs">CRC32C of each block</param>
public sealed record ChunkFileHeader(ChunkId Id, int Length, int BlockSize, uint Crc32C, IReadOnlyList<uint> BlockCrcs)
{
    /// <summary>Offset of the first data byte in the file.</summary>
    public int DataOffset => ChunkFileFormat.DataOffset(Length, BlockSize);
}
