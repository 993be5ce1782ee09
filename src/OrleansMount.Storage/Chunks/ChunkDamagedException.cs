using OrleansMount.Core;

namespace OrleansMount.Storage.Chunks;

/// <summary>
/// A chunk file's bytes failed their check while being read: a block's CRC32C differs, or the file ended
/// early. Nothing of the read is to be used; the chunk is to be removed and fetched again.
/// </summary>
public sealed class ChunkDamagedException(ChunkId id, string path, string problem)
    : IOException($"chunk file {path} is damaged: {problem}")
{
    public ChunkId Id { get; } = id;

    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
