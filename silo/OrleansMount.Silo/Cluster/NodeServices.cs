using System.Text.Json;
using System.Threading.Channels;
using OrleansMount.Core;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Silo.Monitoring;

namespace OrleansMount.Silo.Cluster;

/// <summary>What this silo's <see cref="NodeGrain"/> does for the other silos: prefetch work for their jobs, and its node report.</summary>
public sealed class NodeServices(SiloNode node) : INodeServices
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The reporter, set once the host has built it.</summary>
    public NodeReporter? Reporter { get; set; }

    public async Task<PeerPrefetchOutcome[]> PrefetchChunksAsync(PeerPrefetchBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Concurrency is < 1 or > Prefetch.PrefetchService.MaxConcurrency)
        {
            throw new OrleansMountException($"concurrency {batch.Concurrency} must be from 1 to {Prefetch.PrefetchService.MaxConcurrency}", 2);
        }

        foreach (var chunk in batch.Chunks)
        {
            await SiloEndpoints.ValidateAsync(chunk, node, cancellationToken).ConfigureAwait(false);
        }

        var results = Channel.CreateUnbounded<PeerPrefetchOutcome>(new UnboundedChannelOptions { SingleReader = true });
        var run = node.Prefetch.Worker.RunAsync(batch.JobId, batch.Concurrency, batch.Chunks, results.Writer, cancellationToken);
        var outcomes = new List<PeerPrefetchOutcome>(batch.Chunks.Count);
        await foreach (var outcome in results.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            outcomes.Add(outcome);
        }

        await run.ConfigureAwait(false);
        return [.. outcomes];
    }

    public async Task<PeerRangePrefetchResult> IngestRangesAsync(PeerRangePrefetch request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var view = await node.GetViewAsync(request.Snapshot, request.SnapshotId, cancellationToken).ConfigureAwait(false);
        var known = view.Ranges.Select(r => r.Id).ToHashSet();
        var ranges = new List<RangeId>(request.Ranges.Count);
        foreach (var text in request.Ranges)
        {
            RangeId range;
            try
            {
                range = RangeId.Parse(text);
            }
            catch (FormatException e)
            {
                throw new OrleansMountException(e.Message, 2);
            }

            if (!known.Contains(range))
            {
                throw new OrleansMountException($"range {text} is not a range of snapshot '{request.Snapshot}'", 2);
            }

            ranges.Add(range);
        }

        return await node.Prefetch.IngestRangesAsync(ranges, cancellationToken).ConfigureAwait(false);
    }

    public void CancelPrefetch(string jobId) => node.Prefetch.Worker.Cancel(jobId);

    public string ReportJson() => JsonSerializer.Serialize((Reporter ?? throw new InvalidOperationException("the silo is still starting")).Node(), Json);
}
