using OrleansMount.Core.Caching;

namespace OrleansMount.Storage.Chunks;

/// <summary>Where the node keeps chunk files and how much disk they may use.</summary>
public sealed class ChunkStoreOptions
{
    /// <summary>Root directory; holds <c>chunks/</c> and the RocksDB <c>catalog/</c>.</summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>Bytes of chunk data kept at most (headers and the catalog are not counted).</summary>
    public long CapacityBytes { get; set; }

    /// <summary>
    /// Bytes per checksummed block of the chunk files this store writes (a power of two, 4 KiB to 16 MiB). Files
    /// already stored keep theirs. The default was chosen by measurement (docs/decisions/0012-chunk-blocks.md).
    /// </summary>
    public int BlockSize { get; set; } = ChunkFileFormat.DefaultBlockSize;

    /// <summary>Tuning of the admission and eviction policy (docs/decisions/0006-epoch-eviction.md); null for the defaults.</summary>
    public ResidentSetPolicyOptions? Policy { get; set; }
}
