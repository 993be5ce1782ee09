using SiloStatus = OrleansMount.Grains.Membership.SiloStatus;
using OrleansMount.Grains.Membership;
using Prometheus;

namespace OrleansMount.Silo.Monitoring;

/// <summary>
/// The silo's metrics as prometheus-net counters and gauges in a registry of their own, every series
/// labelled with the silo id. Values are read at scrape time (a before-collect callback) from the counters
/// the silo keeps anyway, so the read path pays nothing. Names and labels: docs/metrics.md (a public
/// contract). The registry is not prometheus-net's default one, so none of its default metrics appear.
/// </summary>
public sealed class SiloMetrics
{
    private readonly MetricFactory _factory;
    private readonly List<Action> _updates = [];

    public SiloMetrics(SiloNode node, NodeReporter reporter, RecentErrorLog errors, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(reporter);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(time);
        Registry = Metrics.NewCustomRegistry();
        Registry.SetStaticLabels(new Dictionary<string, string>(StringComparer.Ordinal) { ["silo"] = node.SiloId });
        _factory = Metrics.WithCustomRegistry(Registry);
        var c = node.Counters;

        // prometheus-net writes HELP text as given: keep it on one line, without backslashes.
        _factory.CreateGauge("orleansmount_info", "Always 1; labels carry the silo's version and cluster name.", "version", "cluster").WithLabels(SiloApi.Version, reporter.ClusterName).Set(1);
        Gauge("orleansmount_uptime_seconds", "Seconds since the silo started.", () => Math.Max(0, (time.GetUtcNow() - node.StartedAt).TotalSeconds));

        Gauge("orleansmount_cache_used_bytes", "Bytes of chunk files in the cache.", () => node.Chunks.UsedBytes);
        Gauge("orleansmount_cache_capacity_bytes", "The cache's budget (--cache-size).", () => node.Chunks.CapacityBytes);
        Gauge("orleansmount_cache_chunks", "Chunks in the cache.", () => node.Chunks.ChunkCount);
        Counter("orleansmount_cache_evictions_total", "Chunks evicted to stay within capacity.", () => node.Chunks.Evictions);
        Counter("orleansmount_cache_corruptions_total", "Chunk files found corrupt (bad CRC32C, wrong length) and deleted.", () => node.Chunks.CorruptionsDetected);
        Gauge("orleansmount_range_files_owned", "Range and metarange files kept as their owner.", () => NodeReporter.CountRangeFiles(node.RangeDirectory));
        Counter("orleansmount_metadata_ranges_fetched_total", "Range files ingested into the node's metadata store.", () => node.Metadata.RangesFetched);

        Gauge("orleansmount_grain_activations", "Live activations per grain type (PrefetchJob: jobs running that this silo coordinates).", "grain_type", () => [("ChunkGrain", node.ActivationsOf("ChunkGrain").Current), ("RangeGrain", node.ActivationsOf("RangeGrain").Current), ("SnapshotGrain", node.ActivationsOf("SnapshotGrain").Current), ("PrefetchJob", node.Prefetch.Stats().JobsRunning)]);
        Counter("orleansmount_grain_activations_total", "Activations created per grain type since start.", "grain_type", () => [("ChunkGrain", node.ActivationsOf("ChunkGrain").Total), ("RangeGrain", node.ActivationsOf("RangeGrain").Total), ("SnapshotGrain", node.ActivationsOf("SnapshotGrain").Total), ("PrefetchJob", node.Prefetch.Stats().JobsStarted)]);

        Counter("orleansmount_reads_total", "Chunk reads answered per tier: local disk, copied from the owner peer, filled from the object store.", "tier", () => [("local", c.LocalHits), ("peer", c.PeerFetches), ("object_store", c.ObjectStoreGets)]);
        Counter("orleansmount_reads_bytes_total", "Bytes of the chunk reads per tier.", "tier", () => [("local", c.LocalHitBytes), ("peer", c.PeerBytes), ("object_store", c.ObjectStoreBytes)]);

        Counter("orleansmount_object_store_requests_total", "Ranged GETs of chunk bytes sent to the object store.", () => c.ObjectStoreGets);
        Counter("orleansmount_object_store_bytes_total", "Chunk bytes read from the object store.", () => c.ObjectStoreBytes);
        Counter("orleansmount_fills_total", "Chunk fills from the object store by this silo's grains, by outcome.", "outcome", () => [("cached", c.Fills - c.UncachedFills), ("uncached", c.UncachedFills), ("failed", c.FillErrors)]);
        Counter("orleansmount_object_store_retries_total", "Object-store and catalog attempts made again after a transient failure (5xx, SlowDown, reset, cut body, stall).", () => node.StoreCounters.Retries);
        Counter("orleansmount_object_store_failures_total", "Object-store and catalog requests that failed for good (a permanent error, or the retries or deadline used up).", () => node.StoreCounters.Failures);
        Counter("orleansmount_range_corruptions_total", "Range files kept for peers that failed their check and were read again.", () => c.RangeCorruptions);
        Counter("orleansmount_owner_fallbacks_total", "Chunks and range files read from the object store here because their owner did not deliver.", () => c.OwnerFallbacks);
        Counter("orleansmount_range_files_total", "Range and metarange files this silo obtained, by source.", "source", () => [("catalog", c.RangesFromCatalog), ("peer", c.RangesFromPeers)]);
        Counter("orleansmount_auth_rejections_total", "Requests refused for lacking a valid cluster-secret signature.", () => c.AuthRejections);
        Counter("orleansmount_tls_rejections_total", "Orleans silo-to-silo connections refused because the peer presented another certificate than the cluster certificate.", () => c.TlsRejections);

        Counter("orleansmount_prefetch_chunks_total", "Chunks of prefetch jobs this silo handled as their owner, by outcome.", "outcome", () =>
        {
            var p = node.Prefetch.Stats();
            return [("fetched", p.ChunksFetched), ("skipped", p.ChunksSkipped), ("failed", p.ChunksFailed)];
        });
        Gauge("orleansmount_prefetch_slots_in_use", "Prefetch chunk fills in flight on this silo (at most --prefetch-slots).", () => node.Prefetch.Stats().SlotsInUse);
        Counter("orleansmount_readahead_chunks_total", "Chunks mounts asked to have fetched ahead, by outcome.", "outcome", () =>
        {
            var r = node.Readahead.Stats();
            return [("filled", r.ChunksFilled), ("already_local", r.ChunksAlreadyLocal), ("dropped", r.ChunksDropped), ("failed", r.ChunksFailed)];
        });

        Gauge("orleansmount_members", "Members of the membership view this silo routes by, per status.", "status", () =>
        {
            var view = node.Membership?.CurrentView ?? MembershipSnapshot.Empty;
            return [.. Enum.GetValues<SiloStatus>().Select(s => (s.ToString(), (long)view.Members.Count(e => e.Status == s)))];
        });
        Gauge("orleansmount_membership_version", "The membership view version this silo routes by.", () => node.ViewVersion);
        Counter("orleansmount_log_errors_total", "Warnings and errors the silo logged, by kind (fallback, checksum, fill, auth, prefetch, warning, error).", "kind", () => [.. errors.CountsByKind.Select(kv => (kv.Key, kv.Value))]);

        Registry.AddBeforeCollectCallback(() =>
        {
            foreach (var update in _updates)
            {
                update();
            }
        });
    }

    /// <summary>The registry <c>/metrics</c> exports (and nothing else registers in).</summary>
    public CollectorRegistry Registry { get; }

    private void Gauge(string name, string help, Func<double> value)
    {
        var gauge = _factory.CreateGauge(name, help);
        _updates.Add(() => gauge.Set(value()));
    }

    private void Gauge(string name, string help, string label, Func<IReadOnlyList<(string Value, long Count)>> series)
    {
        var gauge = _factory.CreateGauge(name, help, label);
        _updates.Add(() =>
        {
            foreach (var (value, count) in series())
            {
                gauge.WithLabels(value).Set(count);
            }
        });
    }

    /// <summary>The source counts only grow; <see cref="ICounter.IncTo"/> also keeps a racy read (a difference of two counts) from going back.</summary>
    private void Counter(string name, string help, Func<double> value)
    {
        var counter = _factory.CreateCounter(name, help);
        _updates.Add(() => counter.IncTo(value()));
    }

    private void Counter(string name, string help, string label, Func<IReadOnlyList<(string Value, long Count)>> series)
    {
        var counter = _factory.CreateCounter(name, help, label);
        _updates.Add(() =>
        {
            foreach (var (value, count) in series())
            {
                counter.WithLabels(value).IncTo(count);
            }
        });
    }
}
