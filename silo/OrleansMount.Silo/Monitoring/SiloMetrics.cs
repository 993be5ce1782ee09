using System.Diagnostics.Metrics;
using OrleansMount.Grains.Membership;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// The silo's metrics as <see cref="System.Diagnostics.Metrics"/> instruments on one <see cref="Meter"/>
/// tagged with the silo id, observed from the counters the silo keeps anyway (nothing extra on the
/// read path). <see cref="PrometheusExporter"/> writes them for <c>/metrics</c>; names and labels:
/// docs/metrics.md. Instrument names are already Prometheus names.
/// </summary>
public sealed class SiloMetrics : IDisposable
{
    public const string MeterName = "OrleansMount.Silo";

    public SiloMetrics(SiloNode node, NodeReporter reporter, RecentErrorLog errors, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(time);
        Meter = new Meter(new MeterOptions(MeterName) { Version = SiloApi.Version, Tags = [new("silo", node.SiloId)] });
        var c = node.Counters;
        var m = Meter;

        m.CreateObservableGauge("orleansmount_info", () => new Measurement<long>(1, new("version", SiloApi.Version), new("cluster", reporter.ClusterName)), description: "Always 1; labels carry the silo's version and cluster name.");
        m.CreateObservableGauge("orleansmount_uptime_seconds", () => Math.Max(0, (time.GetUtcNow() - node.StartedAt).TotalSeconds), "s", "Seconds since the silo started.");

        m.CreateObservableGauge("orleansmount_cache_used_bytes", () => node.Chunks.UsedBytes, "By", "Bytes of chunk files in the cache.");
        m.CreateObservableGauge("orleansmount_cache_capacity_bytes", () => node.Chunks.CapacityBytes, "By", "The cache's budget (--cache-size).");
        m.CreateObservableGauge("orleansmount_cache_chunks", () => node.Chunks.ChunkCount, description: "Chunks in the cache.");
        m.CreateObservableCounter("orleansmount_cache_evictions_total", () => node.Chunks.Evictions, description: "Chunks evicted to stay within capacity.");
        m.CreateObservableCounter("orleansmount_cache_corruptions_total", () => node.Chunks.CorruptionsDetected, description: "Chunk files found corrupt (bad CRC32C, wrong length) and deleted.");
        m.CreateObservableGauge("orleansmount_range_files_owned", () => NodeReporter.CountRangeFiles(node.RangeDirectory), description: "Range and metarange files kept as their owner.");
        m.CreateObservableCounter("orleansmount_metadata_ranges_fetched_total", () => node.Metadata.RangesFetched, description: "Range files ingested into the node's metadata store.");

        m.CreateObservableGauge("orleansmount_grain_activations", () => ByLabel("grain_type", ("ChunkGrain", node.ChunkGrains.Count), ("RangeGrain", node.RangeGrains.Count), ("PrefetchJob", node.Prefetch.Stats().JobsRunning)), description: "Live activations per grain type (PrefetchJob: jobs running that this silo coordinates).");
        m.CreateObservableCounter("orleansmount_grain_activations_total", () => ByLabel("grain_type", ("ChunkGrain", node.ChunkGrains.Activated), ("RangeGrain", node.RangeGrains.Activated), ("PrefetchJob", node.Prefetch.Stats().JobsStarted)), description: "Activations created per grain type since start.");

        m.CreateObservableCounter("orleansmount_reads_total", () => ByLabel("tier", ("local", c.LocalHits), ("peer", c.PeerFetches), ("object_store", c.ObjectStoreGets)), description: "Chunk reads answered per tier: local disk, copied from the owner peer, filled from the object store.");
        m.CreateObservableCounter("orleansmount_reads_bytes_total", () => ByLabel("tier", ("local", c.LocalHitBytes), ("peer", c.PeerBytes), ("object_store", c.ObjectStoreBytes)), "By", "Bytes of the chunk reads per tier.");

        m.CreateObservableCounter("orleansmount_object_store_requests_total", () => c.ObjectStoreGets, description: "Ranged GETs of chunk bytes sent to the object store.");
        m.CreateObservableCounter("orleansmount_object_store_bytes_total", () => c.ObjectStoreBytes, "By", "Chunk bytes read from the object store.");
        m.CreateObservableCounter("orleansmount_fills_total", () => ByLabel("outcome", ("cached", c.Fills - c.UncachedFills), ("uncached", c.UncachedFills), ("failed", c.FillErrors)), description: "Chunk fills from the object store by this silo's grains, by outcome.");
        m.CreateObservableCounter("orleansmount_object_store_retries_total", () => node.StoreCounters.Retries, description: "Object-store and catalog attempts made again after a transient failure (5xx, SlowDown, reset, cut body, stall).");
        m.CreateObservableCounter("orleansmount_object_store_failures_total", () => node.StoreCounters.Failures, description: "Object-store and catalog requests that failed for good (a permanent error, or the retries or deadline used up).");
        m.CreateObservableCounter("orleansmount_range_corruptions_total", () => c.RangeCorruptions, description: "Range files kept for peers that failed their check and were read again.");
        m.CreateObservableCounter("orleansmount_owner_fallbacks_total", () => c.OwnerFallbacks, description: "Chunks and range files read from the object store here because their owner did not deliver.");
        m.CreateObservableCounter("orleansmount_suspect_skips_total", () => c.SuspectSkips, description: "Of the fallbacks, those not even sent to the owner because it was suspected.");
        m.CreateObservableCounter("orleansmount_stale_view_refreshes_total", () => c.StaleViewRefreshes, description: "Times an owner answered that this silo's membership view was stale.");
        m.CreateObservableCounter("orleansmount_range_files_total", () => ByLabel("source", ("catalog", c.RangesFromCatalog), ("peer", c.RangesFromPeers)), description: "Range and metarange files this silo obtained, by source.");
        m.CreateObservableCounter("orleansmount_auth_rejections_total", () => c.AuthRejections, description: "Requests refused for lacking a valid cluster-secret signature.");

        m.CreateObservableCounter("orleansmount_prefetch_chunks_total", () =>
        {
            var p = node.Prefetch.Stats();
            return ByLabel("outcome", ("fetched", p.ChunksFetched), ("skipped", p.ChunksSkipped), ("failed", p.ChunksFailed));
        }, description: "Chunks of prefetch jobs this silo handled as their owner, by outcome.");
        m.CreateObservableGauge("orleansmount_prefetch_slots_in_use", () => node.Prefetch.Stats().SlotsInUse, description: "Prefetch chunk fills in flight on this silo (at most --prefetch-slots).");
        m.CreateObservableCounter("orleansmount_readahead_chunks_total", () =>
        {
            var r = node.Readahead.Stats();
            return ByLabel("outcome", ("filled", r.ChunksFilled), ("already_local", r.ChunksAlreadyLocal), ("dropped", r.ChunksDropped), ("failed", r.ChunksFailed));
        }, description: "Chunks mounts asked to have fetched ahead, by outcome.");

        m.CreateObservableGauge("orleansmount_members", () =>
        {
            var view = node.Membership?.CurrentView ?? MembershipSnapshot.Empty;
            return ByLabel("status", [.. Enum.GetValues<SiloStatus>().Select(s => (s.ToString(), (long)view.Members.Count(e => e.Status == s)))]);
        }, description: "Members of the membership view this silo routes by, per status.");
        m.CreateObservableGauge("orleansmount_membership_version", () => node.ViewVersion, description: "The membership view version this silo routes by.");
        m.CreateObservableCounter("orleansmount_log_errors_total", () => ByLabel("kind", [.. errors.CountsByKind.Select(kv => (kv.Key, kv.Value))]), description: "Warnings and errors the silo logged, by kind (fallback, checksum, fill, auth, prefetch, warning, error).");
    }

    public Meter Meter { get; }

    /// <summary>One measurement per value of a label.</summary>
    private static Measurement<long>[] ByLabel(string label, params (string Value, long Count)[] series) =>
        [.. series.Select(s => new Measurement<long>(s.Count, new KeyValuePair<string, object?>(label, s.Value)))];

    public void Dispose() => Meter.Dispose();
}
