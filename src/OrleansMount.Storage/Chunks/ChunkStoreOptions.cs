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
    /// Check a chunk's CRC32C the first time it is opened after the process started (later opens
    /// trust it). Off only for measurements.
    /// </summary>
    public bool VerifyOnFirstOpen { get; set; } = true;

    /// <summary>Tuning of the admission and eviction policy (docs/decisions/0006-epoch-eviction.md); null for the defaults.</summary>
    public ResidentSetPolicyOptions? Policy { get; set; }
}
