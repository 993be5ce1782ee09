using System.Text.Json.Serialization;
using OrleansMount.Core;

namespace OrleansMount.Grains.Chunks;

/// <summary>
/// What a chunk's owner needs to fill it: the object (address, ETag recorded at import, size) and
/// which chunk. <see cref="Identity"/> is derived and checked, never trusted from the wire.
/// </summary>
public sealed record ChunkRequest(string Address, string ETag, long Size, int Index, int ChunkSize)
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
