namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// A prefetch job as its coordinating silo sees it (<c>GET /api/v1/prefetch/{id}</c>). Chunk counts:
/// <see cref="ChunksDone"/> = fetched + skipped (already cached) + failed, out of <see cref="ChunksTotal"/>;
/// <see cref="BytesDone"/> counts fetched and skipped bytes, <see cref="BytesFetched"/> only those read now.
/// For metadata jobs the range counts are (ranges × silos).
/// </summary>
public sealed record PrefetchJobStatus(
    string Id,
    string Snapshot,
    string SnapshotId,
    string State,
    bool MetadataOnly,
    IReadOnlyList<string> Paths,
    int Files,
    long BytesTotal,
    long BytesDone,
    long BytesFetched,
    int ChunksTotal,
    int ChunksDone,
    int ChunksFetched,
    int ChunksSkipped,
    int ChunksFailed,
    int RangesTotal,
    int RangesDone,
    int RangesFailed,
    int Silos,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<PrefetchFailure> Failures,
    int FailuresOmitted,
    bool EveryNode = false);
