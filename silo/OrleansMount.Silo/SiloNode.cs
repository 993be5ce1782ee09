using System.Buffers;
using System.Collections.Concurrent;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Ranges;
using OrleansMount.Grains.Runtime;
using OrleansMount.Silo.Prefetch;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;
using OrleansMount.Storage.RocksDb;

namespace OrleansMount.Silo;

/// <summary>
/// Everything one silo holds: its chunk store, metadata store, activations and counters. The
/// HTTP endpoints only translate to and from this. In a cluster it also holds the membership agent
/// and the placement view built from the active members, and routes each chunk and range file to
/// its owner (<see cref="OwnerRouter"/>: stale views refreshed, silent owners suspected, failures
/// fall back to the object store).
/// </summary>
public sealed class SiloNode : IDisposable, IRangeSource
{
    private readonly ConcurrentDictionary<string, SnapshotView> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ChunkId, Task<ChunkLocation>> _peerFills = new();
    private readonly Lock _peerFillsLock = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly PeerClient _peers;
    private readonly OwnerRouter _router;
    private OrleansMount.Grains.Membership.IMembershipTable? _table;
    private volatile Routing? _routing;
    private int _ownRefreshRunning;

    public SiloNode(SiloOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SiloNode>();
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
        var grainLogger = loggers.CreateLogger<ChunkGrain>();
        ChunkGrains = new ActivationTable<ChunkId, ChunkGrain>(id => new ChunkGrain(id, Chunks, Stores, Counters, grainLogger), time, TimeSpan.FromMinutes(2));
        RangeDirectory = PrepareRangeDirectory(Path.Combine(options.CacheDirectory, "ranges"));
        var rangeLogger = loggers.CreateLogger<RangeGrain>();
        RangeGrains = new ActivationTable<CatalogFile, RangeGrain>(file => new RangeGrain(file, Catalog, RangeDirectory, Counters, rangeLogger), time, TimeSpan.FromMinutes(2));
        StartedAt = time.GetUtcNow();
        _peers = new PeerClient(options.PeerTimeout, options.Secret);
        var suspects = new OwnerSuspects(time, options.SuspectDuration);
        _router = new OwnerRouter(LookupOwner, RefreshViewAsync, suspects, Counters, loggers.CreateLogger<OwnerRouter>());
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

    public ActivationTable<ChunkId, ChunkGrain> ChunkGrains { get; }

    /// <summary>The range files this silo owns, kept as files so peers can copy them (<see cref="RangeGrain"/>).</summary>
    public ActivationTable<CatalogFile, RangeGrain> RangeGrains { get; }

    public string RangeDirectory { get; }

    /// <summary>Owners this silo currently routes around (no answer recently).</summary>
    public IReadOnlyList<string> SuspectedOwners => _router.Suspects.Current;

    public ILogger CreateLogger(string name) => _loggers.CreateLogger(name);

    /// <summary>The membership agent; null until <see cref="JoinClusterAsync"/>.</summary>
    public MembershipService? Membership { get; private set; }

    /// <summary>The placement view chunks are routed by: the active members, weighted by cache capacity.</summary>
    public PlacementView? Placement => _routing?.Placement;

    /// <summary>The version of the membership view <see cref="Placement"/> was built from.</summary>
    public long ViewVersion => _routing?.View.Version ?? 0;

    /// <summary>
    /// Joins the cluster: the Redis table with <c>--redis</c>, else an in-memory table holding only
    /// this silo (single-node: every chunk is owned here). Call once the HTTP listeners serve.
    /// </summary>
    public async Task JoinClusterAsync(CancellationToken cancellationToken)
    {
        OrleansMount.Grains.Membership.IMembershipTable table;
        MembershipOptions options;
        if (Options.Redis is { } redis)
        {
            table = await RedisMembershipTable.ConnectAsync(new RedisMembershipOptions { Configuration = redis, ClusterId = Options.Cluster }, _loggers.CreateLogger<RedisMembershipTable>()).ConfigureAwait(false);
            options = new MembershipOptions();
        }
        else
        {
            table = new InMemoryMembershipTable();
            options = new MembershipOptions { RunBackgroundLoops = false };
        }

        _table = table;
        var address = Options.Advertise ?? new Uri("http://localhost:1/"); // single-node without a listener: never dialled
        var membership = new MembershipService(table, SiloId, address, Options.CacheSizeBytes, SiloApi.Version, options, TimeProvider.System, _loggers.CreateLogger<MembershipService>());
        membership.ViewChanged += RebuildPlacement;
        Membership = membership;
        try
        {
            await membership.JoinAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MembershipUnavailableException e)
        {
            throw new OrleansMountException($"cannot join cluster '{Options.Cluster}': {e.Message}", 3);
        }

        RebuildPlacement(membership.CurrentView);
    }

    /// <summary>Leaves the cluster (ShuttingDown, then removed) so peers stop routing here; bounded by <paramref name="cancellationToken"/>.</summary>
    public async Task LeaveClusterAsync(CancellationToken cancellationToken)
    {
        if (Membership is { } membership)
        {
            await membership.LeaveAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void RebuildPlacement(MembershipSnapshot view)
    {
        // Only active members own keys; this silo counts itself in even if the view (e.g. of a table
        // that lost its data) does not list it yet, so the view is never empty.
        var members = view.Active.Select(m => new PlacementMember(m.SiloId, Math.Max(1, m.CapacityBytes))).ToList();
        if (!members.Any(m => m.SiloId == SiloId))
        {
            members.Add(new PlacementMember(SiloId, Math.Max(1, Options.CacheSizeBytes)));
        }

        var placement = new PlacementView(members);
        var previous = _routing;
        _routing = new Routing(placement, view);
        if (previous is null || previous.Placement.Count != placement.Count)
        {
            _logger.LogInformation("placement view {Version}: {Count} silos ({Members})", view.Version, placement.Count, string.Join(", ", placement.Members.Select(m => m.SiloId)));
        }
    }

    /// <summary>The owner of a placement key as this silo sees it; <see cref="OwnerLookup.Owner"/> is null when it is this silo.</summary>
    public OwnerLookup LookupOwner(ulong key)
    {
        if (_routing is not { } routing || routing.Placement.Count == 1)
        {
            return new OwnerLookup(null, _routing?.View.Version ?? 0);
        }

        var owner = routing.Placement.OwnerOf(key);
        // The placement was built from this very view, so an owner other than this silo is in it.
        return new OwnerLookup(owner == SiloId ? null : routing.View.Find(owner), routing.View.Version);
    }

    /// <summary>
    /// The owner side of the stale-view rule: a peer asked this silo for a key it does not own by
    /// a view newer than the caller's. The caller must refresh and route again. A caller with the
    /// newer view is served (and this silo refreshes its own view in the background).
    /// </summary>
    public StaleViewException? CheckOwnership(ulong key, long? callerVersion)
    {
        if (callerVersion is not { } caller || _routing is not { } routing)
        {
            return null;
        }

        var mine = routing.View.Version;
        if (caller > mine)
        {
            RefreshOwnViewInBackground();
            return null;
        }

        return caller < mine && routing.Placement.OwnerOf(key) != SiloId ? new StaleViewException(SiloId, mine, caller) : null;
    }

    private Task RefreshViewAsync(CancellationToken cancellationToken) =>
        Membership is { } membership ? membership.RefreshOnceAsync(cancellationToken) : Task.CompletedTask;

    private void RefreshOwnViewInBackground()
    {
        if (Membership is null || Interlocked.Exchange(ref _ownRefreshRunning, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RefreshViewAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _ownRefreshRunning, 0);
            }
        });
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
    /// Makes a chunk present on this node for a local mount. Owned here: the chunk's grain. Owned
    /// elsewhere: the near cache (already on disk), else a copy from the owner (single-flight per
    /// chunk), else, if the owner does not deliver, the object store directly.
    /// </summary>
    public Task<ChunkLocation> EnsureAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (LookupOwner(PlacementKey.Of(request.Id)).Owner is null)
        {
            return EnsureOwnedAsync(request, cancellationToken);
        }

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
        lock (_peerFillsLock)
        {
            if (!_peerFills.TryGetValue(request.Id, out fill) || fill.IsCompleted)
            {
                fill = FetchRemoteChunkAsync(request);
                _peerFills[request.Id] = fill;
                started = true;
            }
        }

        if (started)
        {
            // Forget the copy once done (only this one: a later copy of the chunk may have replaced it).
            var id = request.Id;
            _ = fill.ContinueWith(t => _peerFills.TryRemove(new KeyValuePair<ChunkId, Task<ChunkLocation>>(id, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return fill.WaitAsync(cancellationToken);
    }

    /// <summary>Makes a chunk present through this silo's own <see cref="ChunkGrain"/>, whoever owns it: as owner, or as the fallback.</summary>
    public Task<ChunkLocation> EnsureOwnedAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ChunkGrains.Get(request.Id).EnsureAsync(request, cancellationToken);
    }

    /// <summary>A chunk another silo owns: copied from the owner; not cancelled by a caller that gives up (others may wait on it).</summary>
    private async Task<ChunkLocation> FetchRemoteChunkAsync(ChunkRequest request)
    {
        await Task.Yield();
        // Owned here after a view refresh, or the owner did not deliver: this silo's own grain fills it.
        Task<ChunkLocation> Here() => EnsureOwnedAsync(request, CancellationToken.None);
        return await _router.RouteAsync(PlacementKey.Of(request.Id), $"chunk {request.Index} of {request.Address}", Here, (owner, version) => CopyFromOwnerAsync(request, owner, version), Here).ConfigureAwait(false);
    }

    private async Task<ChunkLocation> CopyFromOwnerAsync(ChunkRequest request, SiloEntry owner, long viewVersion)
    {
        var length = request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            var data = buffer.AsMemory(0, length);
            var crc = await _peers.CopyChunkAsync(owner, viewVersion, request, data).ConfigureAwait(false);
            Counters.PeerFetched(length);
            var cached = await Chunks.PutAsync(request.Id, data, crc, Core.Caching.ChunkOrigin.NearCopy, CancellationToken.None).ConfigureAwait(false);
            return new ChunkLocation(cached, length, crc, ChunkTier.Peer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Where the metadata store gets a range file. Single node: the catalog. In a cluster: the file's
    /// owner, which reads the catalog once for everyone (<see cref="RangeGrain"/>); the catalog itself
    /// if the owner does not deliver.
    /// </summary>
    async Task IRangeSource.DownloadAsync(CatalogFile file, string localPath, CancellationToken cancellationToken)
    {
        if (_routing is not { Placement.Count: > 1 })
        {
            await FromCatalogAsync().ConfigureAwait(false);
            return;
        }

        await _router.RouteAsync(
            PlacementKey.Of(new RangeId(file.Id)),
            file.ToString(),
            async () =>
            {
                await File.WriteAllBytesAsync(localPath, await RangeGrains.Get(file).ReadAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                return true;
            },
            async (owner, version) =>
            {
                Counters.RangeFromPeer(await _peers.DownloadRangeAsync(owner, version, file, localPath).ConfigureAwait(false));
                return true;
            },
            FromCatalogAsync).ConfigureAwait(false);

        async Task<bool> FromCatalogAsync()
        {
            await Catalog.DownloadAsync(file.Key, localPath, cancellationToken).ConfigureAwait(false);
            Counters.RangeFromCatalog();
            return true;
        }
    }

    /// <summary>Creates the range directory and removes temp files a crashed download left behind.</summary>
    private static string PrepareRangeDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var temp in Directory.EnumerateFiles(directory).Where(f => !f.EndsWith(".sst", StringComparison.Ordinal) && !f.EndsWith(RangeGrain.CheckExtension, StringComparison.Ordinal)))
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

        var view = await Metadata.OpenSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
        _views[view.Record.Id] = view;
        if (expectedId is not null && view.Record.Id != expectedId)
        {
            throw new SnapshotReplacedException(name, expectedId, view.Record.Id);
        }

        return view;
    }

    public void Dispose()
    {
        Prefetch.Dispose();
        Membership?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peers.Dispose();
        (_table as IDisposable)?.Dispose();
        Metadata.Dispose();
        Chunks.Dispose();
        Stores.Dispose();
        Catalog.Dispose();
    }

    /// <summary>A placement view and the membership view it was built from, swapped as one.</summary>
    private sealed record Routing(PlacementView Placement, MembershipSnapshot View);
}
