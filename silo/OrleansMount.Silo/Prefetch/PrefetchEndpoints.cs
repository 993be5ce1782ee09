using System.Text.Json;
using System.Threading.Channels;
using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Silo.Prefetch;

/// <summary>The prefetch and readahead endpoints (docs/api.md "Prefetch and readahead").</summary>
public static class PrefetchEndpoints
{
    /// <summary>A selection (a --list of a whole data set in training order) may be far larger than the silo's usual 1 MiB body limit.</summary>
    public const long MaxSelectionBytes = 64L * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static async Task<PrefetchJobStatus?> FromGrainAsync(SiloNode node, string id, Func<IPrefetchJobGrain, Task<string?>> call)
    {
        if (node.GrainFactory is not { } grains || id.Length is 0 or > 64)
        {
            return null;
        }

        return PrefetchService.ParseStatus(await call(grains.GetGrain<IPrefetchJobGrain>(id)).ConfigureAwait(false));
    }

    public static void Map(RouteGroupBuilder api, SiloNode node)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(node);
        var prefetch = node.Prefetch;

        api.MapPost("/prefetch", (PrefetchRequest request, CancellationToken ct) => Guard(async () =>
        {
            var job = await prefetch.StartAsync(request, ct).ConfigureAwait(false);
            return Results.Json(job.ToStatus(), statusCode: StatusCodes.Status202Accepted);
        })).WithMetadata(new BodyLimit(MaxSelectionBytes));

        api.MapGet("/prefetch", () => Results.Json(prefetch.Jobs.Select(j => j.ToStatus()).ToList()));

        // A job this silo does not run is asked of its grain: started through another silo, or before a restart.
        api.MapGet("/prefetch/{id}", async (string id) => prefetch.Find(id) is { } job
            ? Results.Json(job.ToStatus())
            : await FromGrainAsync(node, id, g => g.GetStatusAsync()).ConfigureAwait(false) is { } status ? Results.Json(status) : NoJob(id));

        api.MapPost("/prefetch/{id}/cancel", async (string id) => prefetch.Cancel(id) is { } job
            ? Results.Json(job.ToStatus())
            : await FromGrainAsync(node, id, g => g.CancelAsync()).ConfigureAwait(false) is { } status ? Results.Json(status) : NoJob(id));

        // Local mounts: chunks to make present ahead of a sequential reader.
        api.MapPost("/chunks/readahead", (ChunkRequest[] chunks, CancellationToken ct) => SiloEndpoints.Guard(async () =>
        {
            foreach (var chunk in chunks)
            {
                await SiloEndpoints.ValidateAsync(chunk, node, ct).ConfigureAwait(false);
            }

            return Results.Json(new { started = node.Readahead.Submit(chunks) }, statusCode: StatusCodes.Status202Accepted);
        }));

        // Peers: an owner fills a job's chunks and streams one outcome per line as each finishes.
        api.MapPost("/peer/prefetch/chunks", (PeerPrefetchBatch batch, HttpContext context) => SiloEndpoints.Guard(async () =>
        {
            var ct = context.RequestAborted;
            if (batch.Concurrency is < 1 or > PrefetchService.MaxConcurrency)
            {
                throw new OrleansMountException($"concurrency {batch.Concurrency} must be from 1 to {PrefetchService.MaxConcurrency}", 2);
            }

            foreach (var chunk in batch.Chunks)
            {
                await SiloEndpoints.ValidateAsync(chunk, node, ct).ConfigureAwait(false);
            }

            context.Response.ContentType = "application/x-ndjson";
            await context.Response.StartAsync(ct).ConfigureAwait(false);
            var results = Channel.CreateUnbounded<PeerPrefetchOutcome>(new UnboundedChannelOptions { SingleReader = true });
            var run = prefetch.Worker.RunAsync(batch.JobId, batch.Concurrency, batch.Chunks, batch.Routed, results.Writer, ct);
            try
            {
                await foreach (var outcome in results.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await context.Response.WriteAsync(JsonSerializer.Serialize(outcome, Json) + "\n", ct).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The coordinator closed the request (cancelled, or gone): the worker stops with it.
            }

            await run.ConfigureAwait(false);
            return Results.Empty;
        })).WithMetadata(new BodyLimit(MaxSelectionBytes));

        api.MapPost("/peer/prefetch/ranges", (PeerRangePrefetch request, CancellationToken ct) => SiloEndpoints.Guard(async () =>
        {
            var view = await node.GetViewAsync(request.Snapshot, request.SnapshotId, ct).ConfigureAwait(false);
            var known = view.Ranges.Select(r => r.Id).ToHashSet();
            var ranges = new List<RangeId>(request.Ranges.Count);
            foreach (var text in request.Ranges)
            {
                var range = ParseRange(text);
                if (!known.Contains(range))
                {
                    throw new OrleansMountException($"range {text} is not a range of snapshot '{request.Snapshot}'", 2);
                }

                ranges.Add(range);
            }

            return Results.Json(await prefetch.IngestRangesAsync(ranges, ct).ConfigureAwait(false));
        }));

        api.MapPost("/peer/prefetch/{id}/cancel", (string id) =>
        {
            prefetch.Worker.Cancel(id);
            return Results.NoContent();
        });
    }

    private static RangeId ParseRange(string text)
    {
        try
        {
            return RangeId.Parse(text);
        }
        catch (FormatException e)
        {
            throw new OrleansMountException(e.Message, 2);
        }
    }

    private static IResult NoJob(string id) =>
        Results.Json(new SiloError($"no prefetch job '{id}' in this cluster (check the id: `orleansmount prefetch --status` lists the jobs this silo runs)", SiloError.NotFound), statusCode: StatusCodes.Status404NotFound);

    /// <summary>A path that is not in the snapshot is "not-found" (the CLI exits 4); the rest as every endpoint.</summary>
    private static Task<IResult> Guard(Func<Task<IResult>> body) => SiloEndpoints.Guard(async () =>
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (PathNotFoundException e)
        {
            return Results.Json(new SiloError(e.Message, SiloError.NotFound), statusCode: StatusCodes.Status404NotFound);
        }
    });

    private sealed class BodyLimit(long bytes) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => bytes;
    }
}
