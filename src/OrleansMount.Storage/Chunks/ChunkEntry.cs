using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// What the store knows about one cached chunk. A new put makes a new entry, so reference
/// equality tells whether the entry a reader looked up is still the current one.
/// </summary>
internal sealed class ChunkEntry(ChunkId id, int length, uint crc32C, int blockSize, long lastAccessTicks)
{
    private long _lastAccessTicks = lastAccessTicks;

    public ChunkId Id { get; } = id;

    public int Length { get; } = length;

    public uint Crc32C { get; } = crc32C;

    /// <summary>The chunk file's block size (what its size on disk follows from).</summary>
    public int BlockSize { get; } = blockSize;

    public long FileLength => ChunkFileFormat.FileLength(Length, BlockSize);

    public long LastAccessTicks
    {
        get => Volatile.Read(ref _lastAccessTicks);
        set => Volatile.Write(ref _lastAccessTicks, value);
    }

    /// <summary>The last-access value written to the catalog (guarded by the store's lock).</summary>
    public long PersistedAccessTicks { get; set; } = lastAccessTicks;
}
