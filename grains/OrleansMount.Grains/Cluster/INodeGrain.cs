using Orleans.Concurrency;
using OrleansMount.Grains.Prefetch;

namespace OrleansMount.Grains.Cluster;

/// <summary>
/// One silo as the others address it (key <see cref="GrainKeys.Node"/>, always activated on that silo): prefetch
/// work it does for a job another silo coordinates, and its node report for the cluster's dashboard.
/// </summary>
[Alias("om.INodeGrain")]
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>Fills a job's chunks on this silo, in order, at most the batch's concurrency at a time; one outcome per chunk, in batch order of completion.</summary>
    [Alias("prefetch-chunks"), ResponseTimeout("01:00:00")]
    Task<PeerPrefetchOutcome[]> PrefetchChunksAsync(PeerPrefetchBatch batch);

    /// <summary>Ingests range files of a snapshot into this silo's metadata store.</summary>
    [Alias("prefetch-ranges"), ResponseTimeout("01:00:00")]
    Task<PeerRangePrefetchResult> IngestRangesAsync(PeerRangePrefetch request);

    /// <summary>Stops this silo's work for a job, including batches that arrive later.</summary>
    [Alias("cancel-prefetch")]
    Task CancelPrefetchAsync(string jobId);

    /// <summary>This silo's node report (the JSON of <c>GET /api/v1/node</c>).</summary>
    [Alias("report")]
    Task<string> ReportJsonAsync();
}

/// <summary>What a silo does for its node grain (the silo's prefetch service and reporter).</summary>
public interface INodeServices
{
    Task<PeerPrefetchOutcome[]> PrefetchChunksAsync(PeerPrefetchBatch batch, CancellationToken cancellationToken);

    Task<PeerRangePrefetchResult> IngestRangesAsync(PeerRangePrefetch request, CancellationToken cancellationToken);

    void CancelPrefetch(string jobId);

    string ReportJson();
}

/// <summary>The node grain: reentrant, so a cancel or a report is answered while batches run.</summary>
[RendezvousPlacement, Reentrant]
public sealed class NodeGrain(INodeServices services) : Grain, INodeGrain
{
    public Task<PeerPrefetchOutcome[]> PrefetchChunksAsync(PeerPrefetchBatch batch) => services.PrefetchChunksAsync(batch, CancellationToken.None);

    public Task<PeerRangePrefetchResult> IngestRangesAsync(PeerRangePrefetch request) => services.IngestRangesAsync(request, CancellationToken.None);

    public Task CancelPrefetchAsync(string jobId)
    {
        services.CancelPrefetch(jobId);
        return Task.CompletedTask;
    }

    public Task<string> ReportJsonAsync() => Task.FromResult(services.ReportJson());
}
