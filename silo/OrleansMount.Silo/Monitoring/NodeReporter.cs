using System.Diagnostics;
using System.Text.Json;
using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// Assembles <see cref="NodeReport"/> (this silo) and <see cref="ClusterReport"/> (every member, each
/// asked for its own report in parallel with a short timeout; a member that does not answer is shown
/// as unreachable, never failing the whole answer). Members are asked through their node grains (Orleans).
/// </summary>
public sealed class NodeReporter
{
    /// <summary>How long a member may take to answer before the cluster view shows it as unreachable.</summary>
    public static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(2);

    private const int PrefetchJobsShown = 10;
    private const int FailuresShownPerJob = 5;
    private const int RecentErrorsShown = 50;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SiloNode _node;
    private readonly RecentErrorLog _errors;
    private readonly ThroughputSampler _throughput;
    private readonly TimeProvider _time;
    private readonly Mounts.MountTable _mounts;

    public NodeReporter(SiloNode node, RecentErrorLog errors, ThroughputSampler throughput, TimeProvider time, Mounts.MountTable mounts)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(mounts);
        _node = node;
        _errors = errors;
        _throughput = throughput;
        _time = time;
        _mounts = mounts;
    }

    /// <summary>The cluster name as reports show it.</summary>
    public string ClusterName => _node.Options.Redis is null ? "single-node" : _node.Options.Cluster;

    public NodeReport Node()
    {
        var node = _node;
        var counters = node.Counters;
        var now = _time.GetUtcNow();
        var prefetch = node.Prefetch.Stats();
        var tiers = new (string Tier, long Reads, long Bytes)[]
        {
            ("local", counters.LocalHits, counters.LocalHitBytes),
            ("peer", counters.PeerFetches, counters.PeerBytes),
            ("object_store", counters.ObjectStoreGets, counters.ObjectStoreBytes),
        };
        var reads = tiers.Sum(t => t.Reads);
        return new NodeReport(
            SiloApi.Info(node),
            SiloApi.Stats(node),
            ClusterName,
            now,
            Math.Max(0, (now - node.StartedAt).TotalSeconds),
            CountRangeFiles(node.RangeDirectory),
            [
                new GrainActivations("ChunkGrain", (int)node.ActivationsOf("ChunkGrain").Current, node.ActivationsOf("ChunkGrain").Total),
                new GrainActivations("RangeGrain", (int)node.ActivationsOf("RangeGrain").Current, node.ActivationsOf("RangeGrain").Total),
                new GrainActivations("SnapshotGrain", (int)node.ActivationsOf("SnapshotGrain").Current, node.ActivationsOf("SnapshotGrain").Total),
                new GrainActivations("PrefetchJob", prefetch.JobsRunning, prefetch.JobsStarted),
            ],
            [.. tiers.Select(t => new TierReads(t.Tier, t.Reads, t.Bytes, reads == 0 ? 0 : (double)t.Reads / reads))],
            _throughput.Interval.TotalSeconds,
            _throughput.Samples,
            [.. node.Prefetch.Jobs.Take(PrefetchJobsShown).Select(j => j.ToStatus()).Select(s => s.Failures.Count <= FailuresShownPerJob ? s : s with
            {
                Failures = [.. s.Failures.Take(FailuresShownPerJob)],
                FailuresOmitted = s.FailuresOmitted + s.Failures.Count - FailuresShownPerJob,
            })],
            _errors.Total,
            _errors.Newest(RecentErrorsShown),
            _mounts.Current());
    }

    public async Task<ClusterReport> ClusterAsync(CancellationToken cancellationToken)
    {
        var view = _node.Membership?.CurrentView ?? MembershipSnapshot.Empty;
        var members = view.Members.ToList();
        if (!members.Any(m => m.SiloId == _node.SiloId))
        {
            // Not (or no longer) in the table it reads: it still reports itself.
            members.Add(new SiloEntry(_node.SiloId, _node.Options.Advertise ?? new Uri("http://localhost:1/"), SiloStatus.Active, _node.Options.CacheSizeBytes, _node.StartedAt, _time.GetUtcNow(), SiloApi.Version));
        }

        var nodes = await Task.WhenAll(members.OrderBy(m => m.SiloId, StringComparer.Ordinal).Select(m => AskAsync(m, cancellationToken))).ConfigureAwait(false);
        return new ClusterReport(_node.SiloId, ClusterName, view.Version, _time.GetUtcNow(), nodes);
    }

    private async Task<ClusterNode> AskAsync(SiloEntry entry, CancellationToken cancellationToken)
    {
        var member = SiloApi.Member(entry);
        if (entry.SiloId == _node.SiloId)
        {
            return new ClusterNode(member, true, null, 0, Node());
        }

        if (entry.Status == SiloStatus.Dead)
        {
            return new ClusterNode(member, false, "declared dead: not asked", 0, null);
        }

        var clock = Stopwatch.StartNew();
        if (_node.GrainFactory is not { } grains)
        {
            return new ClusterNode(member, false, "this silo is still starting", 0, null);
        }

        try
        {
            string json;
            try
            {
                json = await grains.GetGrain<INodeGrain>(GrainKeys.Node(entry.SiloId)).ReportJsonAsync().WaitAsync(PeerTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && clock.Elapsed < PeerTimeout)
            {
                // Orleans cancels a call whose grain directory lookup went to a silo just declared dead (its
                // partition is being taken over): a live member must not look unreachable for that. Ask once more.
                json = await grains.GetGrain<INodeGrain>(GrainKeys.Node(entry.SiloId)).ReportJsonAsync().WaitAsync(PeerTimeout - clock.Elapsed, cancellationToken).ConfigureAwait(false);
            }

            var report = JsonSerializer.Deserialize<NodeReport>(json, Json);
            return new ClusterNode(member, report is not null, report is null ? "sent an empty answer" : null, clock.Elapsed.TotalMilliseconds, report);
        }
        catch (TimeoutException)
        {
            return new ClusterNode(member, false, $"no answer within {PeerTimeout.TotalSeconds:0} s", clock.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever a member's failure looks like (refused connection, a silo being declared dead, a bad answer),
            // it makes that member unreachable, never the whole report an error.
            return new ClusterNode(member, false, e.Message, clock.Elapsed.TotalMilliseconds, null);
        }
    }

    internal static long CountRangeFiles(string directory)
    {
        try
        {
            return Directory.EnumerateFiles(directory, "*.sst").LongCount();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
