using System.Text.Json.Serialization;
using OrleansMount.Core;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// What a chunk's owner needs to fill it: the object (address, ETag recorded at import, size), which
/// chunk, and the snapshot (name and id) the object belongs to. <see cref="Identity"/> is derived,
/// never trusted from the wire, and a silo serves only addresses under the source of that snapshot.
/// </summary>
public sealed record ChunkRequest(string Address, string ETag, long Size, int Index, int ChunkSize, string Snapshot, string SnapshotId)
{
    [JsonIgnore]
    public ObjectIdentity Identity { get; } = ObjectIdentity.Compute(Address, ETag, Size);

    [JsonIgnore]
    public ChunkId Id => new(Identity, Index);

    [JsonIgnore]
    public int Length => ChunkMath.ChunkLength(Size, ChunkSize, Index);

    [JsonIgnore]
    public long Offset => (long)Index * ChunkSize;
}
