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
/// <item>Only Active members whose metadata has arrived own keys; this silo counts itself in (so the view is never
/// empty) until it leaves (<see cref="Leave"/>).</item>
/// <item>A member that said it is leaving (<see cref="ExcludeLeaving"/>) counts as shutting down before Orleans'
/// membership says so: it owns nothing here from then on.</item>
/// <item>On every change, local activations that no longer own their key are asked to move (<see cref="Track"/>).</item>
/// </list>
/// The view follows <see cref="IClusterMembershipService.MembershipUpdates"/>. A member's metadata arrives after its
/// membership entry (Orleans' <see cref="ISiloMetadataCache"/> fetches it on the membership update and raises no
/// event), so while an Active member's metadata is missing the view looks again, soon at first, then every second.
/// </summary>
public sealed class ClusterView : IDisposable
{
    private static readonly TimeSpan FirstMetadataLook = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxMetadataLook = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MetadataLateAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RecheckAgainAfter = TimeSpan.FromSeconds(5);
    private readonly IClusterMembershipService _membership;
    private readonly ISiloMetadataCache _metadata;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Orleans.Runtime.GrainId, Func<Task>> _activations = new();
    private readonly ConcurrentDictionary<string, ActivationCounts> _counts = new(StringComparer.Ordinal);
    private readonly Lock _rebuildLock = new();
    private readonly ConcurrentDictionary<SiloAddress, SiloEntry> _known = new();
    private readonly ConcurrentDictionary<SiloAddress, byte> _leavingPeers = new();
    private volatile State _state;
    private volatile bool _leaving;
    private int _metadataWait;
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

    /// <summary>True once <see cref="Start"/> ran (the silo became Active).</summary>
    public bool Started => _loop is not null;

    /// <summary>How many activations are registered on this silo now (<see cref="Track"/>).</summary>
    public int LocalActivations => _activations.Count;

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
    /// This silo is leaving: from now on it owns no key in its own view (unless it is the only member), so its
    /// director places elsewhere and every local activation is asked to move to its key's next owner.
    /// </summary>
    public void Leave()
    {
        _leaving = true;
        Rebuild(_membership.CurrentSnapshot);
    }

    /// <summary>
    /// Another silo said it is leaving (<see cref="IClusterViewGrain"/>): it owns nothing here from now on, though
    /// Orleans still lists it as Active until its shutdown reaches the membership.
    /// </summary>
    public void ExcludeLeaving(SiloAddress silo)
    {
        if (_leavingPeers.TryAdd(silo, 0))
        {
            _logger.LogInformation("silo {Silo} is leaving: no key is placed on it any more", silo);
            Rebuild(_membership.CurrentSnapshot);
        }
    }

    /// <summary>Asks every local activation to check its owner again (see <see cref="Track"/>).</summary>
    public void RecheckActivations()
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
        try
        {
            await foreach (var snapshot in _membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    Rebuild(snapshot);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "the cluster view could not follow membership version {Version}", snapshot.Version);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "the cluster view stopped following Orleans' membership");
        }
    }

    /// <summary>
    /// Looks at the membership again until every Active member's metadata has arrived: after 50 ms, then twice as
    /// long each time up to every second. One such wait at a time; none while nothing is missing.
    /// </summary>
    private void AwaitMissingMetadata()
    {
        if (Interlocked.Exchange(ref _metadataWait, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var delay = FirstMetadataLook;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var warned = false;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxMetadataLook.Ticks));
                    var missing = Rebuild(_membership.CurrentSnapshot);
                    if (missing.Count == 0)
                    {
                        break;
                    }

                    if (!warned && clock.Elapsed > MetadataLateAfter)
                    {
                        warned = true;
                        _logger.LogWarning("the silo metadata of {Silos} has not arrived {Seconds:0} s after they became active: no key is placed on them until it does", string.Join(", ", missing), clock.Elapsed.TotalSeconds);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            finally
            {
                Volatile.Write(ref _metadataWait, 0);
            }

            // A member whose metadata went missing between the last look and the reset above gets a wait of its own.
            if (!_stop.IsCancellationRequested)
            {
                Rebuild(_membership.CurrentSnapshot);
            }
        });
    }

    /// <summary>Builds the view from a membership snapshot and installs it if it changed; returns the Active members whose metadata is missing.</summary>
    private IReadOnlyList<string> Rebuild(ClusterMembershipSnapshot snapshot)
    {
        State next;
        lock (_rebuildLock)
        {
            next = Build(snapshot);
            if (next.MissingMetadata.Count > 0)
            {
                AwaitMissingMetadata();
            }

            var previous = _state;
            if (previous.View.SameMembership(next.View) && previous.Placement.Count == next.Placement.Count)
            {
                return next.MissingMetadata;
            }

            _state = next;
            if (previous.Placement.Count != next.Placement.Count || !previous.Placement.Members.SequenceEqual(next.Placement.Members))
            {
                _logger.LogInformation("placement view {Version}: {Count} silos ({Members})", next.View.Version, next.Placement.Count, string.Join(", ", next.Placement.Members.Select(m => m.SiloId)));
            }
        }

        RecheckActivations();
        // Once more a little later: a member that just joined may not be a placement target yet when the view first
        // lists it (Orleans has not received its grain manifest), and the director then keeps a grain where it is.
        _ = Task.Delay(RecheckAgainAfter, _stop.Token).ContinueWith(t => RecheckActivations(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return next.MissingMetadata;
    }

    private State Build(ClusterMembershipSnapshot? snapshot)
    {
        var entries = new Dictionary<string, (SiloEntry Entry, SiloAddress Address)>(StringComparer.Ordinal);
        var missing = new List<string>();
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
                entry = new SiloEntry(Self.SiloId, Self.DataAddress, _leaving ? SiloStatus.ShuttingDown : Map(member.Status), Self.CapacityBytes, Self.StartedAt, now, Self.Version);
            }
            else
            {
                entry = FromMetadata(member, now);
                if (entry is null && member.Status == OrleansStatus.Active)
                {
                    missing.Add(member.Name);
                }
            }

            if (entry is null)
            {
                continue;
            }

            if (entry.Status == SiloStatus.Active && _leavingPeers.ContainsKey(member.SiloAddress))
            {
                entry = entry with { Status = SiloStatus.ShuttingDown };
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

            // Once Orleans' membership shows a leaving silo's shutdown (or drops it), the mark has done its work.
            foreach (var left in _leavingPeers.Keys.Where(a => !snapshot.Members.TryGetValue(a, out var m) || m.Status != OrleansStatus.Active))
            {
                _leavingPeers.TryRemove(left, out _);
            }
        }

        if (!entries.ContainsKey(Self.SiloId))
        {
            // Before the first snapshot lists it, this silo still counts itself in, so the view is never empty.
            entries[Self.SiloId] = (new SiloEntry(Self.SiloId, Self.DataAddress, _leaving ? SiloStatus.ShuttingDown : SiloStatus.Active, Self.CapacityBytes, Self.StartedAt, now, Self.Version), LocalAddress);
        }

        var view = new MembershipSnapshot(snapshot?.Version.Value ?? 0, entries.Values.Select(e => e.Entry));
        var active = entries.Values.Where(e => e.Entry.Status == SiloStatus.Active && e.Entry.SiloId != Self.SiloId).ToList();
        if (!_leaving || active.Count == 0)
        {
            // This silo counts itself in (even while joining), and while leaving when no other member can take its keys.
            active.Add(entries[Self.SiloId]);
        }

        var placement = new PlacementView(active.Select(e => new PlacementMember(e.Entry.SiloId, Math.Max(1, e.Entry.CapacityBytes))));
        return new State(view, placement, active.ToDictionary(e => e.Entry.SiloId, e => e.Address, StringComparer.Ordinal), missing);
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

    private sealed record State(MembershipSnapshot View, PlacementView Placement, Dictionary<string, SiloAddress> Addresses, IReadOnlyList<string> MissingMetadata);

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
