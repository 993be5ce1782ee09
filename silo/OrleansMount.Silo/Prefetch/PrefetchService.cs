using System.Collections.Concurrent;
using System.Threading.Channels;
using OrleansMount.Core;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Cluster;
using OrleansMount.Grains.Membership;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Runtime;

namespace OrleansMount.Silo.Prefetch;

/// <summary>
/// Prefetch jobs on the silo that coordinates them. A chunk job plans the selection's chunks, groups
/// them by owner (<see cref="SiloNode.LookupOwner"/>) keeping their order, and hands each owner its list
/// in batches; the owners fill them (<see cref="PrefetchWorker"/>) and stream back outcomes. An owner that
/// does not deliver costs its remaining chunks a fill through this silo's routing (which falls back to the
/// object store), never the job. A metadata job has every silo ingest the selection's ranges. Jobs run in
/// this silo's memory (the most recent <see cref="MaxJobs"/>); each reports its status every second to its
/// <see cref="IPrefetchJobGrain"/>, which persists it (Redis when clustered), answers <c>--status</c>/<c>--cancel</c>
/// through any silo, and resumes the job elsewhere if this silo stops reporting (<see cref="IPrefetchRunner"/>).
/// </summary>
public sealed class PrefetchService : IDisposable, IPrefetchRunner
{
    /// <summary>How often a running job reports its status to its grain.</summary>
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public const int DefaultConcurrency = 4;
    public const int MaxConcurrency = 256;
    private const int MaxJobs = 200;
    // A batch is one grain call answered when the owner has filled it all: progress shows per batch, so batches stay small.
    private const int MinBatchSize = 16;
    private const int MaxBatchSize = 256;
    private const int RangeBatchSize = 2000;
    private const int RangeConcurrency = 4;

    private readonly SiloNode _node;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PrefetchJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private long _jobsStarted;
    private long _rangesIngested;

    public PrefetchService(SiloNode node, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _logger = logger;
        _time = time;
        Worker = new PrefetchWorker(node, node.Options.PrefetchSlots);
    }

    /// <summary>The owner side: chunk fills this silo does for any job.</summary>
    public PrefetchWorker Worker { get; }

    public PrefetchJob? Find(string id) => _jobs.GetValueOrDefault(id);

    /// <summary>Every job this silo remembers, newest first.</summary>
    public IEnumerable<PrefetchJob> Jobs => _jobs.Values.OrderByDescending(j => j.StartedAt);

    public PrefetchStats Stats() => new(
        Worker.ChunksFetched,
        Worker.ChunksSkipped,
        Worker.ChunksFailed,
        Worker.BytesFetched,
        Worker.ActiveBatches,
        Worker.SlotsInUse,
        Worker.Slots,
        Interlocked.Read(ref _rangesIngested),
        _jobs.Values.Count(j => !j.IsFinished),
        Interlocked.Read(ref _jobsStarted));

    /// <summary>Plans a job and starts it in the background. Unknown snapshot or path: an error now, no job.</summary>
    public async Task<PrefetchJob> StartAsync(PrefetchRequest request, CancellationToken cancellationToken)
    {
        var job = await StartCoreAsync(request, null, cancellationToken).ConfigureAwait(false);
        if (_node.GrainFactory is { } grains)
        {
            await grains.GetGrain<IPrefetchJobGrain>(job.Id).CreateAsync(_node.SiloId, System.Text.Json.JsonSerializer.Serialize(job.Request, Json), StatusJson(job)).ConfigureAwait(false);
            _ = Task.Run(() => ReportAsync(job, grains), CancellationToken.None);
        }

        return job;
    }

    /// <summary>Runs a job again here under its id, for its grain (its coordinator went silent); chunks already cached are skipped.</summary>
    public async Task<string> ResumeAsync(string jobId, string requestJson, CancellationToken cancellationToken)
    {
        var request = System.Text.Json.JsonSerializer.Deserialize<PrefetchRequest>(requestJson, Json) ?? throw new ArgumentException("no prefetch request", nameof(requestJson));
        var job = await StartCoreAsync(request, jobId, cancellationToken).ConfigureAwait(false);
        if (_node.GrainFactory is { } grains)
        {
            _ = Task.Run(() => ReportAsync(job, grains), CancellationToken.None);
        }

        return StatusJson(job);
    }

    /// <summary>A job's status as its grain keeps it.</summary>
    public static string StatusJson(PrefetchJob job) => System.Text.Json.JsonSerializer.Serialize(job.ToStatus(), Json);

    /// <summary>Reads a status the grain kept.</summary>
    public static PrefetchJobStatus? ParseStatus(string? json) => json is null ? null : System.Text.Json.JsonSerializer.Deserialize<PrefetchJobStatus>(json, Json);

    /// <summary>Reports the job's status to its grain every second and once finished; a cancel asked through another silo stops it here.</summary>
    private async Task ReportAsync(PrefetchJob job, IGrainFactory grains)
    {
        var grain = grains.GetGrain<IPrefetchJobGrain>(job.Id);
        while (true)
        {
            var finished = job.IsFinished;
            try
            {
                if (await grain.ReportAsync(_node.SiloId, StatusJson(job)).ConfigureAwait(false) && !finished)
                {
                    _logger.LogInformation("prefetch job {Id}: cancel asked through another silo", job.Id);
                    Cancel(job.Id, tellGrain: false);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _logger.LogWarning("prefetch job {Id}: could not report its status ({Message}); trying again", job.Id, e.Message);
            }

            if (finished)
            {
                return;
            }

            await Task.WhenAny(job.Completion, Task.Delay(ReportInterval)).ConfigureAwait(false);
        }
    }

    private async Task<PrefetchJob> StartCoreAsync(PrefetchRequest request, string? jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var concurrency = request.Concurrency == 0 ? DefaultConcurrency : request.Concurrency;
        if (concurrency is < 1 or > MaxConcurrency)
        {
            throw new OrleansMountException($"concurrency {request.Concurrency} must be from 1 to {MaxConcurrency}", 2);
        }

        var view = await _node.GetViewAsync(request.Snapshot, request.SnapshotId, cancellationToken).ConfigureAwait(false);
        var paths = request.Paths ?? [];
        var plan = request.MetadataOnly
            ? await PrefetchPlanner.PlanRangesAsync(view, paths, cancellationToken).ConfigureAwait(false)
            : await PrefetchPlanner.PlanChunksAsync(view, paths, _node.Options.ChunkSize, cancellationToken).ConfigureAwait(false);
        var silos = request.MetadataOnly ? RangeSilos(request.LocalOnly) : null;
        var groups = request.MetadataOnly ? null : request.EveryNode ? EveryNode(plan) : GroupByOwner(plan);
        var id = jobId ?? Guid.NewGuid().ToString("N")[..12];
        var job = new PrefetchJob(id, request with { Paths = paths, Concurrency = concurrency, EveryNode = request.EveryNode && !request.MetadataOnly }, view.Record.Id, plan, silos?.Count ?? Math.Max(1, groups!.Count), _time);
        Remember(job);
        Interlocked.Increment(ref _jobsStarted);
        _logger.LogInformation(
            "prefetch job {Id}: snapshot {Snapshot}, {What}",
            id,
            request.Snapshot,
            request.MetadataOnly ? $"{plan.Ranges.Count} ranges on {silos!.Count} silos" : $"{plan.Files} files, {plan.Chunks.Count} chunks, {ByteSize.Format(plan.Bytes)} on {groups!.Count} {(job.Request.EveryNode ? "silos, a copy on each" : "owners")}");
        job.Completion = Task.Run(() => request.MetadataOnly ? RunRangesAsync(job, silos!) : RunChunksAsync(job, groups!, concurrency), CancellationToken.None);
        return job;
    }

    /// <summary>Cancels a job here and tells its owners (and its grain, unless it asked); null when there is no such job here.</summary>
    public PrefetchJob? Cancel(string id, bool tellGrain = true)
    {
        if (!_jobs.TryGetValue(id, out var job))
        {
            return null;
        }

        if (job.Cancel())
        {
            _logger.LogInformation("prefetch job {Id} cancelled", id);
            Worker.Cancel(id);
            var owners = _node.Membership?.CurrentView.Active.Where(m => m.SiloId != _node.SiloId).ToList() ?? [];
            _ = Task.WhenAll(owners.Select(o => CancelOnAsync(o, id)));
            if (tellGrain && _node.GrainFactory is { } grains)
            {
                _ = grains.GetGrain<IPrefetchJobGrain>(id).CancelAsync();
            }
        }

        return job;
    }

    /// <summary>The owner side of range prefetch: ingests ranges of a snapshot on this silo.</summary>
    public async Task<PeerRangePrefetchResult> IngestRangesAsync(IReadOnlyList<RangeId> ranges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var failures = new ConcurrentQueue<PrefetchFailure>();
        var done = 0;
        var fetched = 0;
        await Parallel.ForEachAsync(ranges, new ParallelOptions { MaxDegreeOfParallelism = RangeConcurrency, CancellationToken = cancellationToken }, async (range, ct) =>
        {
            try
            {
                var had = _node.Metadata.HasRange(range);
                await _node.Metadata.EnsureRangeAsync(range, ct).ConfigureAwait(false);
                Interlocked.Increment(ref done);
                if (!had)
                {
                    Interlocked.Increment(ref fetched);
                    Interlocked.Increment(ref _rangesIngested);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Enqueue(new PrefetchFailure($"range {range} on silo {_node.SiloId}", e.Message));
            }
        }).ConfigureAwait(false);
        return new PeerRangePrefetchResult(done, fetched, [.. failures]);
    }

    private void Remember(PrefetchJob job)
    {
        _jobs[job.Id] = job;
        _order.Enqueue(job.Id);
        while (_jobs.Count > MaxJobs && _order.TryPeek(out var oldest) && _jobs.TryGetValue(oldest, out var old) && old.IsFinished && _order.TryDequeue(out _))
        {
            if (_jobs.TryRemove(oldest, out var removed))
            {
                removed.Dispose();
            }
        }
    }

    /// <summary>The chunks of each owner in plan order; the key is null for this silo.</summary>
    private List<(SiloEntry? Owner, List<int> Chunks)> GroupByOwner(PrefetchPlan plan)
    {
        var groups = new Dictionary<string, (SiloEntry? Owner, List<int> Chunks)>(StringComparer.Ordinal);
        for (var i = 0; i < plan.Chunks.Count; i++)
        {
            var owner = _node.LookupOwner(PlacementKey.Of(plan.Chunks[i].Id)).Owner;
            var key = owner?.SiloId ?? "";
            if (!groups.TryGetValue(key, out var group))
            {
                group = (owner, []);
                groups[key] = group;
            }

            group.Chunks.Add(i);
        }

        return [.. groups.Values];
    }

    /// <summary>An every-node job: the whole plan, in order, for this silo (null) and for every active peer.</summary>
    private List<(SiloEntry? Owner, List<int> Chunks)> EveryNode(PrefetchPlan plan)
    {
        var all = Enumerable.Range(0, plan.Chunks.Count).ToList();
        return [(null, all), .. (_node.Membership?.CurrentView.Active.Where(m => m.SiloId != _node.SiloId) ?? []).Select(m => ((SiloEntry?)m, all))];
    }

    /// <summary>The silos that ingest a metadata job's ranges: this one, and every active peer unless local only.</summary>
    private List<SiloEntry?> RangeSilos(bool localOnly)
    {
        var silos = new List<SiloEntry?> { null };
        if (!localOnly && _node.Membership is { } membership)
        {
            silos.AddRange(membership.CurrentView.Active.Where(m => m.SiloId != _node.SiloId));
        }

        return silos;
    }

    private async Task RunChunksAsync(PrefetchJob job, List<(SiloEntry? Owner, List<int> Chunks)> groups, int concurrency)
    {
        try
        {
            await Task.WhenAll(groups.Select(g => RunOwnerAsync(job, g.Owner, g.Chunks, concurrency))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "prefetch job {Id} failed", job.Id);
            job.Fail("job", e.Message);
        }
        catch (OperationCanceledException)
        {
            // Cancelled: the state says so.
        }

        Complete(job);
    }

    private async Task RunOwnerAsync(PrefetchJob job, SiloEntry? owner, List<int> indexes, int concurrency)
    {
        var plan = job.Plan;
        var everyNode = job.Request.EveryNode;
        var batchSize = Math.Clamp(concurrency * 8, MinBatchSize, MaxBatchSize);
        for (var start = 0; start < indexes.Count && !job.Token.IsCancellationRequested; start += batchSize)
        {
            var batch = indexes.Skip(start).Take(batchSize).ToList();
            var chunks = batch.Select(i => plan.Chunks[i]).ToList();
            if (owner is null)
            {
                await RunHereAsync(job, batch, chunks, concurrency).ConfigureAwait(false);
                continue;
            }

            var finished = new bool[batch.Count];
            try
            {
                var outcomes = await NodeOf(owner).PrefetchChunksAsync(new PeerPrefetchBatch(job.Id, concurrency, chunks)).WaitAsync(job.Token).ConfigureAwait(false);
                foreach (var outcome in outcomes)
                {
                    if (outcome.Index >= 0 && outcome.Index < batch.Count && !finished[outcome.Index])
                    {
                        finished[outcome.Index] = true;
                        job.Record(outcome, plan.ChunkFiles[batch[outcome.Index]]);
                    }
                }
            }
            catch (OperationCanceledException) when (job.Token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (everyNode)
            {
                // That silo's own copies: nothing this silo can do for it. Its missing chunks fail the job.
                _logger.LogWarning("prefetch job {Id}: silo {Silo} did not deliver its copies ({Message})", job.Id, owner.SiloId, e.Message);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (!finished[i])
                    {
                        job.Record(new PeerPrefetchOutcome(i, PeerPrefetchOutcome.Failed, chunks[i].Length, $"silo {owner.SiloId} did not deliver: {e.Message}"), plan.ChunkFiles[batch[i]]);
                    }
                }
            }
            catch (Exception e)
            {
                // The owner did not deliver: this silo fills the rest through its read path (its grain, or the
                // object store if the owner is down), so the job still completes.
                _node.Counters.OwnerFallback();
                _logger.LogWarning("prefetch job {Id}: owner {Owner} did not deliver ({Message}); filling its remaining chunks through this silo", job.Id, owner.SiloId, e.Message);
                var rest = Enumerable.Range(0, batch.Count).Where(i => !finished[i]).ToList();
                await RunHereAsync(job, [.. rest.Select(i => batch[i])], [.. rest.Select(i => chunks[i])], concurrency).ConfigureAwait(false);
            }
        }
    }

    private INodeGrain NodeOf(SiloEntry silo) =>
        (_node.GrainFactory ?? throw new InvalidOperationException("the silo is still starting")).GetGrain<INodeGrain>(GrainKeys.Node(silo.SiloId));

    /// <summary>Tells a silo to stop a job's batches (best effort: a silo that is gone does no work).</summary>
    private async Task CancelOnAsync(SiloEntry silo, string jobId)
    {
        try
        {
            await NodeOf(silo).CancelPrefetchAsync(jobId).WaitAsync(_node.Options.PeerTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogDebug("prefetch job {Id}: cancel not delivered to {Silo}: {Message}", jobId, silo.SiloId, e.Message);
        }
    }

    private async Task RunHereAsync(PrefetchJob job, List<int> planIndexes, List<ChunkRequest> chunks, int concurrency)
    {
        var results = Channel.CreateUnbounded<PeerPrefetchOutcome>(new UnboundedChannelOptions { SingleReader = true });
        var run = Worker.RunAsync(job.Id, concurrency, chunks, results.Writer, job.Token);
        await foreach (var outcome in results.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            job.Record(outcome, job.Plan.ChunkFiles[planIndexes[outcome.Index]]);
        }

        await run.ConfigureAwait(false);
    }

    private async Task RunRangesAsync(PrefetchJob job, List<SiloEntry?> silos)
    {
        var ranges = job.Plan.Ranges;
        await Task.WhenAll(silos.Select(async silo =>
        {
            for (var start = 0; start < ranges.Count && !job.Token.IsCancellationRequested; start += RangeBatchSize)
            {
                var batch = ranges.Skip(start).Take(RangeBatchSize).ToList();
                try
                {
                    var result = silo is null
                        ? await IngestRangesAsync(batch, job.Token).ConfigureAwait(false)
                        : await NodeOf(silo).IngestRangesAsync(new PeerRangePrefetch(job.Id, job.Request.Snapshot, job.SnapshotId, [.. batch.Select(r => r.ToString())])).WaitAsync(job.Token).ConfigureAwait(false);
                    job.RangesDone(result.Done);
                    job.RangesFailed(batch.Count - result.Done);
                    foreach (var failure in result.Failures)
                    {
                        job.Fail(failure.Object, failure.Reason);
                    }
                }
                catch (OperationCanceledException) when (job.Token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (silo is not null)
                {
                    job.RangesFailed(batch.Count);
                    job.Fail($"silo {silo.SiloId}", e.Message);
                }
            }
        })).ConfigureAwait(false);
        Complete(job);
    }

    private void Complete(PrefetchJob job)
    {
        job.Finish();
        var status = job.ToStatus();
        _logger.LogInformation(
            "prefetch job {Id} {State}: {Fetched} chunks fetched ({Bytes}), {Skipped} already cached, {Failed} failed; {Ranges} ranges ingested, {RangesFailed} failed",
            job.Id,
            status.State,
            status.ChunksFetched,
            ByteSize.Format(status.BytesFetched),
            status.ChunksSkipped,
            status.ChunksFailed,
            status.RangesDone,
            status.RangesFailed);
    }

    public void Dispose()
    {
        foreach (var job in _jobs.Values)
        {
            job.Cancel();
        }
    }
}
