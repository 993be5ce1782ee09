namespace OrleansMount.Core.Caching;

/// <summary>Why a node holds a chunk; near copies give way first when room is needed.</summary>
public enum ChunkOrigin
{
    /// <summary>The node owns the chunk (it filled it from the object store), or the origin is unknown.</summary>
    Owned,

    /// <summary>A copy of a chunk another silo owns, kept for this node's readers (docs/decisions/0005-near-cache.md).</summary>
    NearCopy,
}
