namespace OrleansMount.Grains.Prefetch;

/// <summary>
/// <c>POST /api/v1/prefetch</c>: warm the cluster with a selection of a snapshot. <see cref="Paths"/> are
/// directories or files relative to the snapshot root, in the order their chunks are fetched (a
/// directory's files in key order); empty means the whole snapshot.
/// </summary>
/// <param name="Snapshot">The snapshot's name.</param>
/// <param name="Paths">Directories or files, in training order; empty for the whole snapshot.</param>
/// <param name="MetadataOnly">Only ingest the selection's ranges, on every silo (no chunks).</param>
/// <param name="Concurrency">Chunks in flight per owner silo for this job; 0 for the silo's default.</param>
/// <param name="LocalOnly">Only this silo (a mount's metadata prefetch): ranges ingested here, no peers asked.</param>
/// <param name="SnapshotId">When given, the import the caller pinned: a name now pointing elsewhere is an error.</param>
/// <param name="EveryNode">Every active silo keeps its own copy of the selection: owners fill their chunks from the
/// object store (once each), the other silos copy them from the owners. For selections that fit every node's cache.</param>
public sealed record PrefetchRequest(
    string Snapshot,
    IReadOnlyList<string> Paths,
    bool MetadataOnly = false,
    int Concurrency = 0,
    bool LocalOnly = false,
    string? SnapshotId = null,
    bool EveryNode = false);
