using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Json;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Runtime;
using OrleansMount.Storage.Catalog;
using OrleansMount.Storage.Chunks;
using OrleansMount.Storage.Metadata;
using OrleansMount.Storage.ObjectStores;

namespace OrleansMount.Silo;

/// <summary>
/// Everything one silo holds: its chunk store, metadata store, activations and counters. The
/// HTTP endpoints only translate to and from this. In a cluster it also holds the membership agent
/// and the placement view built from the active members, and routes each chunk to its owner.
/// </summary>
public sealed class SiloNode : IDisposable
{
    /// <summary>The path of the owner-side endpoint a requester copies a chunk from.</summary>
    public const string PeerChunkDataPath = "api/v1/peer/chunks/data";

    /// <summary>The response header carrying a chunk's CRC32C (8 hex digits) with its bytes.</summary>
    public const string ChecksumHeader = "X-OrleansMount-Crc32C";

    private static readonly TimeSpan PeerConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PeerBodyTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, SnapshotView> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ChunkId, Task<ChunkLocation>> _peerFills = new();
    private readonly Lock _peerFillsLock = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HttpClient _peers;
    private IMembershipTable? _table;
    private volatile PlacementView? _placement;

    public SiloNode(SiloOptions options, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SiloNode>();
        Directory.CreateDirectory(options.CacheDirectory);
        SiloId = options.SiloId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
        Catalog = SnapshotCatalog.Open(StoreUri.Parse(options.Catalog));
        Chunks = new ChunkStore(new ChunkStoreOptions { Directory = options.CacheDirectory, CapacityBytes = options.CacheSizeBytes }, loggers.CreateLogger<ChunkStore>(), time);
        Metadata = new MetadataStore(Path.Combine(options.CacheDirectory, "metadata"), Catalog, loggers.CreateLogger<MetadataStore>());
        Stores = new ObjectStoreProvider();
        var grainLogger = loggers.CreateLogger<ChunkGrain>();
        ChunkGrains = new ActivationTable<ChunkId, ChunkGrain>(id => new ChunkGrain(id, Chunks, Stores, Counters, grainLogger), time, TimeSpan.FromMinutes(2));
        StartedAt = time.GetUtcNow();
        _peers = new HttpClient(new SocketsHttpHandler { ConnectTimeout = PeerConnectTimeout, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan, // bounded per request by PeerBodyTimeout
            DefaultRequestVersion = System.Net.HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public SiloOptions Options { get; }

    public string SiloId { get; }

    public DateTimeOffset StartedAt { get; }

    public SnapshotCatalog Catalog { get; }

    public ChunkStore Chunks { get; }

    public MetadataStore Metadata { get; }

    public ObjectStoreProvider Stores { get; }

    public NodeCounters Counters { get; } = new();

    public ActivationTable<ChunkId, ChunkGrain> ChunkGrains { get; }

    public ILogger CreateLogger(string name) => _loggers.CreateLogger(name);

    /// <summary>The membership agent; null until <see cref="JoinClusterAsync"/>.</summary>
    public MembershipService? Membership { get; private set; }

    /// <summary>The placement view chunks are routed by: the active members, weighted by cache capacity.</summary>
    public PlacementView? Placement => _placement;

    /// <summary>
    /// Joins the cluster: the Redis table with <c>--redis</c>, else an in-memory table holding only
    /// this silo (single-node: every chunk is owned here). Call once the HTTP listeners serve.
    /// </summary>
    public async Task JoinClusterAsync(CancellationToken cancellationToken)
    {
        IMembershipTable table;
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
        var version = typeof(SiloNode).Assembly.GetName().Version?.ToString() ?? "0";
        var membership = new MembershipService(table, SiloId, address, Options.CacheSizeBytes, version, options, TimeProvider.System, _loggers.CreateLogger<MembershipService>());
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
        // Only active members own chunks; this silo counts itself in even if the view (e.g. of a table
        // that lost its data) does not list it yet, so the view is never empty.
        var members = view.Active.Select(m => new PlacementMember(m.SiloId, Math.Max(1, m.CapacityBytes))).ToList();
        if (!members.Any(m => m.SiloId == SiloId))
        {
            members.Add(new PlacementMember(SiloId, Math.Max(1, Options.CacheSizeBytes)));
        }

        var placement = new PlacementView(members);
        var previous = _placement;
        _placement = placement;
        if (previous is null || previous.Count != placement.Count)
        {
            _logger.LogInformation("placement view: {Count} silos ({Members})", placement.Count, string.Join(", ", placement.Members.Select(m => m.SiloId)));
        }
    }

    /// <summary>The owner of a chunk when it is another silo; null when it is this one (or there is no cluster).</summary>
    public SiloEntry? RemoteOwnerOf(ChunkId id)
    {
        if (_placement is not { } placement || Membership is not { } membership || placement.Count == 1)
        {
            return null;
        }

        var owner = placement.OwnerOf(PlacementKey.Of(id));
        return owner == SiloId ? null : membership.CurrentView.Find(owner);
    }

    /// <summary>
    /// Makes a chunk present on this node for a local mount. Owned here: the chunk's grain. Owned
    /// elsewhere: the near cache (already on disk), else a copy from the owner (single-flight per
    /// chunk), else, if the owner fails, the object store directly.
    /// </summary>
    public Task<ChunkLocation> EnsureAsync(ChunkRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (RemoteOwnerOf(request.Id) is not { } owner)
        {
            return ChunkGrains.Get(request.Id).EnsureAsync(request, cancellationToken);
        }

        using (var handle = Chunks.TryOpen(request.Id))
        {
            if (handle is not null)
            {
                Counters.LocalHit();
                return Task.FromResult(new ChunkLocation(true, handle.Length, handle.Crc32C, ChunkTier.Local));
            }
        }

        Task<ChunkLocation>? fill;
        var started = false;
        lock (_peerFillsLock)
        {
            if (!_peerFills.TryGetValue(request.Id, out fill) || fill.IsCompleted)
            {
                fill = CopyFromOwnerAsync(request, owner);
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

    /// <summary>Copies one chunk from its owner into the local store; not cancelled by a caller that gives up (others may wait on it).</summary>
    private async Task<ChunkLocation> CopyFromOwnerAsync(ChunkRequest request, SiloEntry owner)
    {
        await Task.Yield();
        var length = request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            uint crc;
            try
            {
                using var timeout = new CancellationTokenSource(PeerBodyTimeout);
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(owner.Address, PeerChunkDataPath)) { Content = JsonContent.Create(request) };
                using var response = await _peers.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                    throw new HttpRequestException($"owner answered {(int)response.StatusCode}: {body}");
                }

                if (response.Content.Headers.ContentLength is { } announced && announced != length)
                {
                    throw new HttpRequestException($"owner sent {announced} bytes, expected {length}");
                }

                var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    await stream.ReadExactlyAsync(buffer.AsMemory(0, length), timeout.Token).ConfigureAwait(false);
                    if (await stream.ReadAsync(new byte[1], timeout.Token).ConfigureAwait(false) != 0)
                    {
                        throw new HttpRequestException($"owner sent more than the {length} bytes expected");
                    }
                }

                crc = ChunkChecksum.Compute(buffer.AsSpan(0, length));
                if (response.Headers.TryGetValues(ChecksumHeader, out var sent)
                    && uint.TryParse(sent.FirstOrDefault(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var expected)
                    && expected != crc)
                {
                    throw new HttpRequestException($"owner's bytes have CRC32C {crc:x8}, it announced {expected:x8}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                Counters.OwnerFallback();
                _logger.LogWarning("owner {Owner} ({Address}) did not deliver chunk {Index} of {Address}: {Message}; reading it from the object store", owner.SiloId, owner.Address, request.Index, request.Address, e is OperationCanceledException ? $"no answer within {PeerBodyTimeout.TotalSeconds:0} s" : e.Message);
                return await ChunkGrains.Get(request.Id).EnsureAsync(request, CancellationToken.None).ConfigureAwait(false);
            }

            var data = buffer.AsMemory(0, length);
            Counters.PeerFetched(length);
            var cached = await Chunks.PutAsync(request.Id, data, Core.Caching.ChunkOrigin.NearCopy, CancellationToken.None).ConfigureAwait(false);
            return new ChunkLocation(cached, length, crc, ChunkTier.Peer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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
        Membership?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peers.Dispose();
        (_table as IDisposable)?.Dispose();
        Metadata.Dispose();
        Chunks.Dispose();
        Stores.Dispose();
        Catalog.Dispose();
    }
}
