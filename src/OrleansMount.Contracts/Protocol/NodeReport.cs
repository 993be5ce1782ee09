using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Grains.Protocol;

/// <summary>
/// <c>GET /api/v1/node</c>: everything the dashboard and <c>orleansmount status</c> show of one silo.
/// </summary>
/// <param name="Info">Who the silo is (as <c>/api/v1/info</c>).</param>
/// <param name="Stats">Its counters (as <c>/api/v1/stats</c>).</param>
/// <param name="Cluster">The cluster name; "single-node" without Redis.</param>
/// <param name="At">When this report was made (the silo's clock).</param>
/// <param name="UptimeSeconds">Seconds since the silo started.</param>
/// <param name="RangeFilesOwned">Range and metarange files kept as their owner (<c>CACHE/ranges/</c>).</param>
/// <param name="Activations">Live activations per grain type.</param>
/// <param name="Reads">Chunk reads answered by each tier: <c>local</c>, <c>peer</c>, <c>object_store</c>.</param>
/// <param name="SampleIntervalSeconds">Seconds between two <paramref name="Throughput"/> samples.</param>
/// <param name="Throughput">Bytes per second per tier, oldest first (a few minutes, kept in memory).</param>
/// <param name="PrefetchJobs">The newest prefetch jobs this silo coordinates (failures cut to a few each).</param>
/// <param name="ErrorsTotal">Warnings and errors logged since start, of which <paramref name="RecentErrors"/> are the newest.</param>
/// <param name="RecentErrors">The newest warnings and errors, newest first.</param>
/// <param name="Mounts">The mounts of this node that registered (null from a silo before mount registration); each carries a warning when it cannot read the node's chunk files.</param>
public sealed record NodeReport(
    SiloInfo Info,
    SiloStats Stats,
    string Cluster,
    DateTimeOffset At,
    double UptimeSeconds,
    long RangeFilesOwned,
    IReadOnlyList<GrainActivations> Activations,
    IReadOnlyList<TierReads> Reads,
    double SampleIntervalSeconds,
    IReadOnlyList<ThroughputSample> Throughput,
    IReadOnlyList<PrefetchJobStatus> PrefetchJobs,
    long ErrorsTotal,
    IReadOnlyList<RecentError> RecentErrors,
    IReadOnlyList<MountStatus>? Mounts = null);
