namespace OrleansMount.Grains.Chunks;

/// <summary>Where a chunk's bytes came from for one request.</summary>
public enum ChunkTier
{
    /// <summary>Already on this node's disk.</summary>
    Local,

    /// <summary>Copied from the owner silo.</summary>
    Peer,

    /// <summary>Read from the object store.</summary>
    ObjectStore,
}
