using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Mount;

/// <summary>What the file system needs from its silo; <see cref="SiloBackend"/> is the real one.</summary>
public interface IMountBackend
{
    int ChunkSize { get; }

    /// <summary>The mounted snapshot's name and the id pinned at mount time; chunk requests carry both.</summary>
    string SnapshotName { get; }

    string SnapshotId { get; }

    /// <summary>
    /// One page of a directory of the mounted snapshot (path relative to the snapshot root): at most
    /// <paramref name="limit"/> children after <paramref name="after"/> (null for the first page, else the
    /// <see cref="DirectoryListing.Next"/> of the page before). Throws <c>SiloException</c> of kind not-found for a
    /// path that is not a directory.
    /// </summary>
    Task<DirectoryListing> ListAsync(string path, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// A window of a directory's listing that starts at <paramref name="name"/>: at most <paramref name="limit"/>
    /// children in listing order from the file <paramref name="name"/> (first when there is one; a subdirectory
    /// <paramref name="name"/> sorts as "name/", after names such as "name-x"), with the cursor of the page after it.
    /// What a lookup asks when the names that follow are likely to be asked next.
    /// </summary>
    Task<DirectoryListing> ListFromAsync(string path, string name, int limit, CancellationToken cancellationToken);

    /// <summary>The child <paramref name="name"/> of directory <paramref name="path"/>, without listing it; null when there is none.</summary>
    Task<ListingItem?> LookupAsync(string path, string name, CancellationToken cancellationToken);

    /// <summary>Makes a chunk present in the local silo's cache.</summary>
    Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Asks for a chunk as the silo fills it (decision 0035): a <see cref="ChunkStreamFormat"/> body while it arrives, or
    /// where it is when the silo does not stream it (stored on this node, or another silo's). Without a streaming silo,
    /// the location from <see cref="EnsureChunkAsync"/>.
    /// </summary>
    async Task<ChunkStreamAnswer> StreamChunkAsync(ChunkRequest request, CancellationToken cancellationToken) =>
        new(await EnsureChunkAsync(request, cancellationToken).ConfigureAwait(false), null);

    /// <summary>Reads a chunk's bytes through the silo.</summary>
    Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Asks the silo to make these chunks present ahead of a sequential reader, without waiting for them.</summary>
    Task ReadaheadAsync(IReadOnlyList<ChunkRequest> chunks, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Asks the silo to make the first chunks of the next <paramref name="files"/> files after <paramref name="after"/>
    /// (below <paramref name="root"/>, in key order) present, without waiting for them; null when the backend cannot.
    /// </summary>
    Task<FileReadaheadAnswer?> ReadaheadFilesAsync(string root, string after, int files, CancellationToken cancellationToken) => Task.FromResult<FileReadaheadAnswer?>(null);

    /// <summary>
    /// Tells the silo that its chunk file failed the mount's check although the silo reported it cached:
    /// the silo checks its copy in full and deletes (and counts) a damaged one, so the next ensure fetches it again.
    /// </summary>
    Task ReportDamagedChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Where the chunk's file is on this machine, or null when the silo's cache is not local.</summary>
    string? LocalChunkPath(ChunkId id);
}
