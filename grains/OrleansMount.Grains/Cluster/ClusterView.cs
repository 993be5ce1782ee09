using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Membership;
using OrleansStatus = Orleans.Runtime.SiloStatus;
using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;

namespace OrleansMount.Grains.Cluster;

/// <summary>What every silo publishes about itself in Orleans' silo metadata (fixed for the process's life).</summary>
public static class SiloMetadataKeys
{
    /// <summary>The silo's HTTP data endpoint (<c>--advertise</c>): where peers copy chunk and range bytes from.</summary>
    public const string DataAddress = "orleansmount.data";

    /// <summary>The silo's cache capacity in bytes: its placement weight.</summary>
    public const string Capacity = "orleansmount.capacity";

    /// <summary>When this incarnation of the silo started (round-trip format).</summary>
    public const string StartedAt = "orleansmount.started";

    /// <summary>The software version it runs.</summary>
    public const string Version = "orleansmount.version";

    public static Dictionary<string, string> For(Uri dataAddress, long capacityBytes, DateTimeOffset startedAt, string version) => new()
    {
        [DataAddress] = dataAddress.ToString(),
        [Capacity] = capacityBytes.ToString(CultureInfo.InvariantCulture),
        [StartedAt] = startedAt.ToString("O", CultureInfo.InvariantCulture),
        [Version] = version,
    };
}

/// <summary>
/// This silo's one view of who owns what, built from Orleans' membership (<see cref="IClusterMembershipService"/>)
/// and the silos' metadata (data address, capacity). The placement director, the grains' ownership checks and the
/// silo's routing all read this same object, so they never disagree (../shared/PLATFORM.md, re-homing recipe).
/// <list type="bullet">
/// <item>Silo identity is the Orleans silo name (<c>--silo-id</c>): a restarted silo owns the same keys again, and its
/// cache with them. Of several generations of one name, the newest counts.</item>
/// <item>Only Active members whose metadata has arrived own keys; this silo always counts itself in.</item>
/// <item>On every change, local activations that no longer own their key are asked to move (<see cref="Track"/>).</item>
/// </list>
/// </summary>
public sealed class ClusterView : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RecheckAgainAfter = TimeSpan.FromSeconds(5);
    private readonly IClusterMembershipService _membership;
    private readonly ISiloMetadataCache _metadata;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Orleans.Runtime.GrainId, Func<Task>> _activations = new();
    private readonly ConcurrentDictionary<string, ActivationCounts> _counts = new(StringComparer.Ordinal);
    private readonly Lock _rebuildLock = new();
    private readonly ConcurrentDictionary<SiloAddress, SiloEntry> _known = new();
    private volatile State _state;
    private Task? _loop;

    public ClusterView(IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, ILogger<ClusterView> logger, ClusterViewSelf self)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(self);
        _membership = membership;
        _metadata = metadata;
        _logger = logger;
        LocalAddress = local.SiloAddress;
        Self = self;
        _state = Build(null);
    }

    /// <summary>This silo's own id, data address and capacity (known before any metadata arrives).</summary>
    public ClusterViewSelf Self { get; }

    public string SiloId => Self.SiloId;

    public SiloAddress LocalAddress { get; }

    /// <summary>The members as this silo sees them now (every status), sorted by id.</summary>
    public MembershipSnapshot CurrentView => _state.View;

    /// <summary>The placement over the active members, weighted by capacity.</summary>
    public PlacementView Placement => _state.Placement;

    /// <summary>The Orleans membership version this view was built from.</summary>
    public long Version => _state.View.Version;

    /// <summary>Raised after every change of the members or their status (on a background thread).</summary>
    public event Action<MembershipSnapshot>? ViewChanged;

    /// <summary>The owner of a placement key: its id and the Orleans address of its activation's silo.</summary>
    public (string SiloId, SiloAddress? Address) OwnerOf(ulong key)
    {
        var state = _state;
        var owner = state.Placement.OwnerOf(key);
        return (owner, state.Addresses.GetValueOrDefault(owner));
    }

    /// <summary>The Orleans address of an active member by id (this silo included), or null.</summary>
    public SiloAddress? AddressOf(string siloId) => _state.Addresses.GetValueOrDefault(siloId);

    /// <summary>True when this silo owns the key.</summary>
    public bool OwnsHere(ulong key) => _state.Placement.OwnerOf(key) == Self.SiloId;

    /// <summary>The member entry of a silo id (for its data address), or null.</summary>
    public SiloEntry? Find(string siloId) => _state.View.Find(siloId);

    /// <summary>Starts following membership changes; call once the Orleans silo runs.</summary>
    public void Start()
    {
        Rebuild(_membership.CurrentSnapshot);
        _loop = Task.Run(FollowAsync);
    }

    /// <summary>
    /// Records a local activation, with how to ask it to check its ownership again (a grain call to itself);
    /// dispose the result when the activation ends.
    /// </summary>
    public IDisposable Track(Orleans.Runtime.GrainId grain, string grainType, Func<Task> recheck)
    {
        _activations[grain] = recheck;
        var counts = _counts.GetOrAdd(grainType, _ => new ActivationCounts());
        Interlocked.Increment(ref counts.Current);
        Interlocked.Increment(ref counts.Total);
        return new Untrack(this, grain, counts);
    }

    /// <summary>Live activations of a grain type on this silo, and how many were created since start.</summary>
    public (long Current, long Total) ActivationsOf(string grainType) =>
        _counts.TryGetValue(grainType, out var counts) ? (Interlocked.Read(ref counts.Current), Interlocked.Read(ref counts.Total)) : (0, 0);

    private async Task FollowAsync()
    {
        var updates = Task.Run(async () =>
        {
            try
            {
                await foreach (var snapshot in _membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
                {
                    Rebuild(snapshot);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // Metadata of a new member arrives after its membership entry: poll until every active member has it.
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Rebuild(_membership.CurrentSnapshot);
        }

        await updates.ConfigureAwait(false);
    }

    private void Rebuild(ClusterMembershipSnapshot snapshot)
    {
        State next;
        lock (_rebuildLock)
        {
            next = Build(snapshot);
            var previous = _state;
            if (previous.View.SameMembership(next.View) && previous.Placement.Count == next.Placement.Count)
            {
                return;
            }

            _state = next;
            if (previous.Placement.Count != next.Placement.Count || !previous.Placement.Members.SequenceEqual(next.Placement.Members))
            {
                _logger.LogInformation("placement view {Version}: {Count} silos ({Members})", next.View.Version, next.Placement.Count, string.Join(", ", next.Placement.Members.Select(m => m.SiloId)));
            }
        }

        ViewChanged?.Invoke(next.View);
        RecheckActivations();
        // Once more a little later: a member that just joined may not be a placement target yet when the view first
        // lists it (Orleans has not received its grain manifest), and the director then keeps a grain where it is.
        _ = Task.Delay(RecheckAgainAfter, _stop.Token).ContinueWith(t => RecheckActivations(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private void RecheckActivations()
    {
        foreach (var (grain, recheck) in _activations)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await recheck().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _logger.LogDebug("ownership re-check of {Grain} failed: {Message}", grain, e.Message);
                }
            });
        }
    }

    private State Build(ClusterMembershipSnapshot? snapshot)
    {
        var entries = new Dictionary<string, (SiloEntry Entry, SiloAddress Address)>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        foreach (var member in snapshot?.Members.Values ?? [])
        {
            if (string.IsNullOrEmpty(member.Name))
            {
                continue;
            }

            SiloEntry? entry;
            if (member.SiloAddress.Equals(LocalAddress))
            {
                entry = new SiloEntry(Self.SiloId, Self.DataAddress, Map(member.Status), Self.CapacityBytes, Self.StartedAt, now, Self.Version);
            }
            else
            {
                entry = FromMetadata(member, now);
            }

            if (entry is null)
            {
                continue;
            }

            // Of several generations of one silo id (a restart), the newest wins.
            if (!entries.TryGetValue(entry.SiloId, out var existing) || existing.Address.Generation < member.SiloAddress.Generation)
            {
                entries[entry.SiloId] = (entry, member.SiloAddress);
            }
        }

        if (snapshot is not null)
        {
            foreach (var gone in _known.Keys.Where(a => !snapshot.Members.ContainsKey(a)))
            {
                _known.TryRemove(gone, out _);
            }
        }

        if (!entries.ContainsKey(Self.SiloId))
        {
            // Before the first snapshot lists it, this silo still counts itself in, so the view is never empty.
            entries[Self.SiloId] = (new SiloEntry(Self.SiloId, Self.DataAddress, SiloStatus.Active, Self.CapacityBytes, Self.StartedAt, now, Self.Version), LocalAddress);
        }

        var view = new MembershipSnapshot(snapshot?.Version.Value ?? 0, entries.Values.Select(e => e.Entry));
        var active = entries.Values.Where(e => e.Entry.Status == SiloStatus.Active || e.Entry.SiloId == Self.SiloId).ToList();
        var placement = new PlacementView(active.Select(e => new PlacementMember(e.Entry.SiloId, Math.Max(1, e.Entry.CapacityBytes))));
        return new State(view, placement, active.ToDictionary(e => e.Entry.SiloId, e => e.Address, StringComparer.Ordinal));
    }

    private SiloEntry? FromMetadata(ClusterMember member, DateTimeOffset now)
    {
        var metadata = _metadata.GetSiloMetadata(member.SiloAddress).Metadata;
        if (!metadata.TryGetValue(SiloMetadataKeys.DataAddress, out var address) || !Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || !metadata.TryGetValue(SiloMetadataKeys.Capacity, out var capacityText) || !long.TryParse(capacityText, NumberStyles.None, CultureInfo.InvariantCulture, out var capacity))
        {
            // The metadata of a dead silo is dropped: it is still listed, as last known, with its new status.
            // Not arrived yet (or not an OrleansMount silo): left out until it has, so no key is placed on it blind.
            return _known.TryGetValue(member.SiloAddress, out var known) ? known with { Status = Map(member.Status) } : null;
        }

        var started = metadata.TryGetValue(SiloMetadataKeys.StartedAt, out var startedText) && DateTimeOffset.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var s) ? s : now;
        var entry = new SiloEntry(member.Name, uri, Map(member.Status), capacity, started, now, metadata.GetValueOrDefault(SiloMetadataKeys.Version) ?? "unknown");
        _known[member.SiloAddress] = entry;
        return entry;
    }

    private static SiloStatus Map(OrleansStatus status) => status switch
    {
        OrleansStatus.Active => SiloStatus.Active,
        OrleansStatus.ShuttingDown or OrleansStatus.Stopping => SiloStatus.ShuttingDown,
        OrleansStatus.Dead => SiloStatus.Dead,
        _ => SiloStatus.Joining,
    };

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
    }

    private sealed record State(MembershipSnapshot View, PlacementView Placement, Dictionary<string, SiloAddress> Addresses);

    private sealed class ActivationCounts
    {
        public long Current;
        public long Total;
    }

    private sealed class Untrack(ClusterView view, Orleans.Runtime.GrainId grain, ActivationCounts counts) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                view._activations.TryRemove(grain, out _);
                Interlocked.Decrement(ref counts.Current);
            }
        }
    }
}

/// <summary>This silo as the view counts it before (and besides) Orleans' metadata: id, data address, capacity, start, version.</summary>
public sealed record ClusterViewSelf(string SiloId, Uri DataAddress, long CapacityBytes, DateTimeOffset StartedAt, string Version);
