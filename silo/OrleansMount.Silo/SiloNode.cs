using System.Buffers;
using System.Collections.Concurrent;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Grains;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Ranges;
using OrleansMount.Grains.Runtime;
using OrleansMount.Grains.Snapshots;
using OrleansMount.Silo.Prefetch;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Silo;

/// <summary>Who owns a placement key as this silo sees it: null when it is this silo (or there is no cluster).</summary>
public readonly record struct OwnerLookup(SiloEntry? Owner, long ViewVersion);

/// <summary>
/// Everything one silo holds: its chunk store, metadata store and counters, and (once the Orleans silo runs,
/// <see cref="Attach"/>) the grain factory and the cluster view. The HTTP endpoints only translate to and from this.
/// A chunk or range file missing here is asked of its grain (placed on its owner by <see cref="RendezvousPlacement"/>),
/// whose answer names the silo holding it; the bytes are then copied from that silo's data endpoint. An owner that
/// cannot be asked or does not deliver costs a read from the object store (or catalog), never a failed read.
/// </summary>
public sealed class SiloNode : IDisposable, IRangeSource
{
    private readonly ConcurrentDictionary<string, SnapshotView> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ChunkId, Task<ChunkLocation>> _fills = new();
    private readonly Lock _fillsLock = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly ILogger _fillLog;
    private readonly PeerClient _peers;
    private IGrainFactory? _grains;

    public SiloNode(SiloOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SiloNode>();
        _fillLog = loggers.CreateLogger(typeof(ChunkFill));
        Directory.CreateDirectory(options.CacheDirectory);
        SiloId = options.SiloId ?? NewSiloId();
        var s3 = new S3ObjectStoreOptions { Retry = options.ObjectStoreRetry, Counters = StoreCounters };
        var catalogUri = StoreUri.Parse(options.Catalog);
        Catalog = new SnapshotCatalog(ObjectStoreFactory.Open(catalogUri, s3), catalogUri, ownsStore: true);
        Chunks = new ChunkStore(new ChunkStoreOptions { Directory = options.CacheDirectory, CapacityBytes = options.CacheSizeBytes, BlockSize = ChunkBlockSizeFromEnvironment() }, loggers.CreateLogger<ChunkStore>(), time);
        Metadata = new MetadataStore(Path.Combine(options.CacheDirectory, "metadata"), Catalog, loggers.CreateLogger<MetadataStore>(), this);

        // The RocksDB package falls back silently to a system librocksdb.so when its own is missing (decision 0016).
        _logger.LogInformation("rocksdb native library {Path}", RocksNativeLibrary.LoadedPath);
        Stores = new ObjectStoreProvider(root => ObjectStoreFactory.Open(root, s3));
        RangeDirectory = PrepareRangeDirectory(Path.Combine(options.CacheDirectory, "ranges"));
        Resources = new NodeResources(Chunks, Stores, Catalog, RangeDirectory, Counters);
        StartedAt = time.GetUtcNow();
        _peers = new PeerClient(options.PeerTimeout, options.Secret);
        Prefetch = new PrefetchService(this, loggers.CreateLogger<PrefetchService>(), time);
        Readahead = new ReadaheadService(this, (int)Math.Max(1, options.ReadaheadMemoryBytes / options.ChunkSize), loggers.CreateLogger<ReadaheadService>());
    }

    /// <summary>A silo id for a silo started without <c>--silo-id</c>: HOSTNAME-RANDOM.</summary>
    public static string NewSiloId() => $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Prefetch jobs this silo coordinates, and the chunk fills it does for any job as an owner.</summary>
    public PrefetchService Prefetch { get; }

    /// <summary>Chunks fetched ahead of sequential readers in this node's mounts (bounded node-wide).</summary>
    public ReadaheadService Readahead { get; }

    public SiloOptions Options { get; }

    public string SiloId { get; }

    public DateTimeOffset StartedAt { get; }

    public SnapshotCatalog Catalog { get; }

    public ChunkStore Chunks { get; }

    public MetadataStore Metadata { get; }

    public ObjectStoreProvider Stores { get; }

    public NodeCounters Counters { get; } = new();

    /// <summary>Object-store retries and requests that failed for good (catalog and data alike).</summary>
    public ObjectStoreCounters StoreCounters { get; } = new();

    /// <summary>What this silo's grains work with (registered in the host's services).</summary>
    public NodeResources Resources { get; }

    public string RangeDirectory { get; }

    public ILogger CreateLogger(string name) => _loggers.CreateLogger(name);

    /// <summary>The cluster view (Orleans membership and the silos' metadata); null until <see cref="Attach"/>.</summary>
    public ClusterView? Membership { get; private set; }

    /// <summary>The placement view chunks are routed by: the active members, weighted by cache capacity.</summary>
    public PlacementView? Placement => Membership?.Placement;

    /// <summary>The Orleans membership version <see cref="Placement"/> was built from.</summary>
    public long ViewVersion => Membership?.Version ?? 0;

    /// <summary>Live activations of a grain type (its class name) on this silo, and how many were created since start.</summary>
    public (long Current, long Total) ActivationsOf(string grainType) => Membership?.ActivationsOf(grainType) ?? (0, 0);

    /// <summary>Connects the node to the running Orleans silo: grain calls go through <paramref name="grains"/>.</summary>
    public void Attach(IGrainFactory grains, ClusterView view)
    {
        _grains = grains;
        Membership = view;
    }

    /// <summary>The owner of a placement key as this silo sees it; <see cref="OwnerLookup.Owner"/> is null when it is this silo.</summary>
    public OwnerLookup LookupOwner(ulong key)
    {
        if (Membership is not { } view || view.Placement.Count == 1)
        {
            return new OwnerLookup(null, ViewVersion);
        }

        var (owner, _) = view.OwnerOf(key);
        return new OwnerLookup(owner == SiloId ? null : view.Find(owner), view.Version);
    }

    /// <summary>
    /// The checksummed block size of new chunk files: <see cref="ChunkFileFormat.DefaultBlockSize"/>, or
    /// <c>ORLEANSMOUNT_CHUNK_BLOCK_SIZE</c> (e.g. <c>16KiB</c>), which exists for measurements (tests/benchmarks/integrity-bench.py).
    /// </summary>
    private static int ChunkBlockSizeFromEnvironment()
    {
        const string variable = "ORLEANSMOUNT_CHUNK_BLOCK_SIZE";
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return ChunkFileFormat.DefaultBlockSize;
        }

        if (!ByteSize.TryParse(text, out var bytes) || bytes is < ChunkFileFormat.MinBlockSize or > ChunkFileFormat.MaxBlockSize || (bytes & (bytes - 1)) != 0)
        {
            throw new OrleansMountException($"{variable}='{text}' must be a power of two from 4KiB to 16MiB (or unset for {ChunkFileFormat.DefaultBlockSize / 1024}KiB)", 2);
        }

        return (int)bytes;
    }

    /// <summary>
    /// Makes a chunk present on this node: already on disk, else through its grain (one fill in the cluster), copied
    /// from the silo the grain names when that is another one. Single-flight per chunk on this silo.
    /// </summary>
    public Task<ChunkLocation> EnsureAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using (var handle = Chunks.TryOpen(request.Id, request.Address))
        {
            if (handle is not null)
            {
                Counters.LocalHit(handle.Length);
                return Task.FromResult(new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local));
            }
        }

        Task<ChunkLocation>? fill;
        var started = false;
        lock (_fillsLock)
        {
            if (!_fills.TryGetValue(request.Id, out fill) || fill.IsCompleted)
            {
                fill = FetchAsync(request);
                _fills[request.Id] = fill;
                started = true;
            }
        }

        if (started)
        {
            // Forget the fill once done (only this one: a later fill of the chunk may have replaced it).
            var id = request.Id;
            _ = fill.ContinueWith(t => _fills.TryRemove(new KeyValuePair<ChunkId, Task<ChunkLocation>>(id, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return fill.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// For a mount of this node (decision 0035): the fill of a chunk to stream to it as its bytes arrive, with a reference
    /// taken (the caller releases it): the fill running on this silo, or a new one when the chunk is not stored here and
    /// this silo owns it. Null when the chunk is stored here, is another silo's, or its fill ended just now: then
    /// <see cref="EnsureAsync"/> says where it is. Checked in this order because a fill leaves
    /// <see cref="ChunkFills"/> only once the chunk is stored (or failed).
    /// </summary>
    public ChunkFillBuffer? AcquireFillToStream(ChunkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Resources.Fills.TryAcquire(request.Id) is { } running)
        {
            return running;
        }

        if (!(Membership?.OwnsHere(PlacementKey.Of(request.Id)) ?? true) || ChunkFill.StartOrJoinUnlessStored(Resources, request, _fillLog) is not { } fill)
        {
            return null;
        }

        _ = fill.Fill.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return fill.TryAcquire() ? fill : null;
    }

    /// <summary>
    /// Not cancelled by a caller that gives up: others may wait on the same fill. A chunk this silo owns is filled here
    /// without a grain call (decision 0034): its grain would be activated on this silo only to join the node's fill
    /// (<see cref="ChunkFills"/>), which other silos' calls to the grain join too. Any other chunk's grain answers as soon
    /// as it knows where the bytes are (stored on a silo, or being filled there), so a copy from another silo streams the
    /// owner's fill as it arrives from the object store rather than waiting for its end.
    /// </summary>
    private async Task<ChunkLocation> FetchAsync(ChunkRequest request)
    {
        await Task.Yield();
        if (Membership?.OwnsHere(PlacementKey.Of(request.Id)) ?? true)
        {
            // Unless a fill (a mount's stream's, decision 0035) stored it since EnsureAsync looked.
            var (stored, own) = ChunkFill.StartJoinOrFindStored(Resources, request, _fillLog);
            if (stored is not null)
            {
                Counters.LocalHit(stored.Length);
                return stored;
            }

            return await own!.Fill.ConfigureAwait(false);
        }

        var what = $"chunk {request.Index} of {request.Address}";
        var grain = Grains.GetGrain<IChunkGrain>(GrainKeys.Chunk(request.Id));
        ChunkAnswer answer;
        try
        {
            answer = await grain.LocateAsync(request).WaitAsync(Options.PeerTimeout).ConfigureAwait(false);
            if (answer.SiloId == SiloId)
            {
                // This silo is filling it: wait for the chunk file. The fill may have ended since the answer; the grain
                // then finds the chunk stored, but its bytes still came from the object store for this request (prefetch
                // counts them as fetched, not as already cached).
                return answer.Filling && Resources.Fills.Find(request.Id) is { } fill
                    ? await fill.Fill.ConfigureAwait(false)
                    : answer.Filling ? (await grain.EnsureAsync(request).WaitAsync(Options.PeerTimeout).ConfigureAwait(false)).Location with { Tier = ChunkTier.ObjectStore } : answer.Location;
            }
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            return await FallbackAsync(request, what, e.Message).ConfigureAwait(false);
        }

        if (Membership?.Find(answer.SiloId) is not { } holder)
        {
            return await FallbackAsync(request, what, $"silo {answer.SiloId} holds it but is not in this silo's view").ConfigureAwait(false);
        }

        var length = request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            var data = buffer.AsMemory(0, length);
            var blockCrcs = new uint[ChunkFileFormat.BlockCount(length, ChunkFileFormat.DefaultBlockSize)];
            uint crc;
            try
            {
                crc = await _peers.CopyChunkAsync(holder, request, data, blockCrcs).ConfigureAwait(false);
            }
            catch (PeerException e)
            {
                return await FallbackAsync(request, what, $"{holder.SiloId} ({holder.Address}) did not deliver it: {e.Message}").ConfigureAwait(false);
            }

            Counters.PeerFetched(length);
            var cached = await Chunks.PutAsync(request.Id, data, crc, Core.Caching.ChunkOrigin.NearCopy, CancellationToken.None, blockCrcs).ConfigureAwait(false);
            return new ChunkLocation(cached, length, crc, ChunkTier.Peer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<ChunkLocation> FallbackAsync(ChunkRequest request, string what, string reason)
    {
        Counters.OwnerFallback();
        _logger.LogWarning("the owner of {What} could not serve it ({Reason}); reading it from the object store", what, reason);
        return await ChunkFill.FromObjectStoreAsync(Resources, request, Core.Caching.ChunkOrigin.NearCopy, _logger).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether a failed grain call is worth a fallback: anything but an answer about the data itself (the object
    /// changed or is gone after import, a bad request), which a read of the object store would only repeat. The
    /// rest (a dead, stopping or unreachable silo, a timeout, a call cancelled while a dead silo's directory
    /// partition is taken over, an error inside the owner) must never fail the read.
    /// </summary>
    internal static bool IsUnavailable(Exception e) =>
        e is not (ObjectChangedException or ObjectNotFoundException or ObjectStoreException or OrleansMountException or OutOfMemoryException);

    /// <summary>The Orleans grain factory; null until <see cref="Attach"/>.</summary>
    public IGrainFactory? GrainFactory => _grains;

    private IGrainFactory Grains => _grains ?? throw new InvalidOperationException("the node is not attached to its Orleans silo yet");

    /// <summary>
    /// Where the metadata store gets a range file. Single node: the catalog. In a cluster: through the file's grain
    /// on its owner, which reads the catalog once for everyone; the catalog itself if the owner does not deliver.
    /// </summary>
    async Task IRangeSource.DownloadAsync(CatalogFile file, string localPath, CancellationToken cancellationToken)
    {
        if (Membership is not { Placement.Count: > 1 })
        {
            await FromCatalogAsync().ConfigureAwait(false);
            return;
        }

        string holderId;
        try
        {
            holderId = await Grains.GetGrain<IRangeGrain>(GrainKeys.Range(new RangeId(file.Id))).EnsureAsync(file).WaitAsync(Options.PeerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("the owner of {File} could not serve it ({Reason}); reading it from the catalog", file, e.Message);
            Counters.OwnerFallback();
            await FromCatalogAsync().ConfigureAwait(false);
            return;
        }

        if (holderId == SiloId)
        {
            var bytes = await RangeFileOf(file).ReadAsync(cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(localPath, bytes, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            var holder = Membership.Find(holderId) ?? throw new PeerException($"silo {holderId} is not in this silo's view");
            Counters.RangeFromPeer(await _peers.DownloadRangeAsync(holder, file, localPath).ConfigureAwait(false));
        }
        catch (PeerException e)
        {
            _logger.LogWarning("silo {Holder} did not deliver {File} ({Reason}); reading it from the catalog", holderId, file, e.Message);
            Counters.OwnerFallback();
            await FromCatalogAsync().ConfigureAwait(false);
        }

        async Task FromCatalogAsync()
        {
            await Catalog.DownloadAsync(file.Key, localPath, cancellationToken).ConfigureAwait(false);
            Counters.RangeFromCatalog();
        }
    }

    /// <summary>A range file as this silo keeps it for peers (checked on every read, filled from the catalog when missing); the instance its grain uses.</summary>
    public RangeFile RangeFileOf(CatalogFile file) => Resources.RangeFiles.Of(file, _loggers.CreateLogger<RangeFile>());

    /// <summary>Creates the range directory and removes temp files a crashed download left behind.</summary>
    private static string PrepareRangeDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var temp in Directory.EnumerateFiles(directory).Where(f => !f.EndsWith(".sst", StringComparison.Ordinal) && !f.EndsWith(RangeFile.CheckExtension, StringComparison.Ordinal)))
        {
            File.Delete(temp);
        }

        return directory;
    }

    /// <summary>
    /// The view of a snapshot. With <paramref name="expectedId"/> (what a mount pinned), a name that
    /// now points at another import is an error rather than a silent switch of content.
    /// </summary>
    public async Task<SnapshotView> GetViewAsync(string name, string? expectedId, CancellationToken cancellationToken)
    {
        if (expectedId is not null && _views.TryGetValue(expectedId, out var cached))
        {
            return cached;
        }

        var record = await SnapshotRecordAsync(name, expectedId, cancellationToken).ConfigureAwait(false);
        var view = await Metadata.OpenSnapshotAsync(record, cancellationToken).ConfigureAwait(false);
        _views[record.Id] = view;
        if (expectedId is not null && record.Id != expectedId)
        {
            throw new SnapshotReplacedException(name, expectedId, record.Id);
        }

        return view;
    }

    /// <summary>
    /// The record a snapshot name points at, from the name's grain (which reads the catalog once for the cluster and
    /// again after <see cref="Grains.Snapshots.SnapshotGrainOptions.RefreshAfter"/>); from the catalog itself when the
    /// grain cannot be asked (the same rule as a chunk's owner, <see cref="IsUnavailable"/>).
    /// </summary>
    private async Task<SnapshotRecord> SnapshotRecordAsync(string name, string? expectedId, CancellationToken cancellationToken)
    {
        SnapshotCatalog.ValidateName(name);
        if (_grains is { } grains)
        {
            SnapshotRecord? record;
            try
            {
                record = await grains.GetGrain<ISnapshotGrain>(GrainKeys.Snapshot(Catalog.Location, name)).GetAsync(expectedId).WaitAsync(Options.PeerTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
            {
                _logger.LogWarning("the grain of snapshot '{Name}' could not be asked ({Reason}); reading its record from the catalog", name, e.Message);
                Counters.OwnerFallback();
                return await Catalog.GetSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
            }

            return record ?? throw Catalog.UnknownSnapshot(name);
        }

        return await Catalog.GetSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        Prefetch.Dispose();
        _peers.Dispose();
        Metadata.Dispose();
        Chunks.Dispose();
        Stores.Dispose();
        Catalog.Dispose();
    }
}
