using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Chunks;

namespace OrleansMount.Client.Mount;

/// <summary>The mount's backend: its local silo, pinned to the snapshot id it resolved at mount time.</summary>
public sealed class SiloBackend : IMountBackend
{
    private readonly SiloClient _silo;
    private readonly string _name;
    private readonly string _snapshotId;
    private readonly string? _chunkDirectory;

    public SiloBackend(SiloClient silo, SiloInfo info, string snapshotName, string snapshotId)
    {
        ArgumentNullException.ThrowIfNull(info);
        _silo = silo;
        _name = snapshotName;
        _snapshotId = snapshotId;
        ChunkSize = info.ChunkSize;
        LocalChunks = LocalChunkAccess.Probe(info.CacheDirectory);
        _chunkDirectory = LocalChunks.Available ? LocalChunks.Directory : null;
    }

    public int ChunkSize { get; }

    /// <summary>Whether this mount reads the silo's chunk files itself (decided once, here); if not, every read goes through the silo.</summary>
    public LocalChunkAccess LocalChunks { get; }

    public string SnapshotName => _name;

    public string SnapshotId => _snapshotId;

    public Task<DirectoryListing> ListAsync(string path, string? after, int limit, CancellationToken cancellationToken) => _silo.ListAsync(_name, _snapshotId, path, after, limit, cancellationToken);

    public Task<DirectoryListing> ListFromAsync(string path, string name, int limit, CancellationToken cancellationToken) =>
        _silo.ListAsync(_name, _snapshotId, path, Storage.Metadata.ListingCursor.From(name), limit, cancellationToken);

    public Task<ListingItem?> LookupAsync(string path, string name, CancellationToken cancellationToken) => _silo.LookupAsync(_name, _snapshotId, path, name, cancellationToken);

    public Task<ChunkLocation> EnsureChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => _silo.EnsureChunkAsync(request, cancellationToken);

    public Task<ChunkStreamAnswer> StreamChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => _silo.StreamChunkAsync(request, cancellationToken);

    public Task ReadChunkAsync(ChunkRequest request, Memory<byte> destination, CancellationToken cancellationToken) => _silo.ReadChunkAsync(request, destination, cancellationToken);

    public Task ReadaheadAsync(IReadOnlyList<ChunkRequest> chunks, CancellationToken cancellationToken) => _silo.ReadaheadAsync(chunks, cancellationToken);

    public async Task<FileReadaheadAnswer?> ReadaheadFilesAsync(string root, string after, int files, CancellationToken cancellationToken) =>
        await _silo.ReadaheadFilesAsync(new FileReadaheadRequest(_name, _snapshotId, root, after, files), cancellationToken).ConfigureAwait(false);

    public Task ReportDamagedChunkAsync(ChunkRequest request, CancellationToken cancellationToken) => _silo.VerifyChunkAsync(request, cancellationToken);

    public string? LocalChunkPath(ChunkId id) => _chunkDirectory is null ? null : ChunkStore.ChunkPathIn(_chunkDirectory, id);
}
