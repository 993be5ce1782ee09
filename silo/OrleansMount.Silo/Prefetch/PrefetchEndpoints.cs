using OrleansMount.Core;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Storage.Metadata;

namespace OrleansMount.Silo.Prefetch;

/// <summary>The prefetch and readahead endpoints (docs/api.md "Prefetch and readahead").</summary>
public static class PrefetchEndpoints
{
    /// <summary>A selection (a --list of a whole data set in training order) may be far larger than the silo's usual 1 MiB body limit.</summary>
    public const long MaxSelectionBytes = 64L * 1024 * 1024;

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

        // Local mounts: the first chunks of the next files of a walk in key order (decision 0029).
        api.MapPost("/files/readahead", (FileReadaheadRequest request, CancellationToken ct) => SiloEndpoints.Guard(async () =>
        {
            if (request.Files is < 1 or > FileReadaheadRequest.MaxFiles)
            {
                throw new OrleansMountException($"files/readahead: files must be from 1 to {FileReadaheadRequest.MaxFiles}, not {request.Files}", 2);
            }

            var view = await node.GetViewAsync(request.Snapshot, request.SnapshotId, ct).ConfigureAwait(false);
            var files = await view.FilesAfterAsync(request.Root, request.After, request.Files, ct).ConfigureAwait(false);
            var chunkSize = node.Options.ChunkSize;
            var chunks = files.Select(f => f.Entry.Size == 0 ? null : new ChunkRequest(f.Entry.PhysicalAddress, f.Entry.ETag, f.Entry.Size, 0, chunkSize, request.Snapshot, view.Record.Id)).ToList();
            var (covered, started) = node.Readahead.SubmitFiles(chunks);
            var last = covered == 0 ? default : files[covered - 1];
            // The covered files' entries, compact as a listing sends them (named by path), so the mount answers their lookups itself.
            var entries = files.Take(covered).Where(f => f.Ordinal is not null)
                .Select(f => SiloEndpoints.ToWire(new DirectoryItem(f.Entry.Path, f.Entry, InodeNumbers.File(f.Ordinal!.Value)), view, compact: true)).ToList();
            var answer = new FileReadaheadAnswer(
                covered,
                started,
                last.Entry?.Path,
                last.Ordinal is { } ordinal ? InodeNumbers.File(ordinal) : 0,
                End: files.Count < request.Files && covered == files.Count,
                Files: entries);
            return Results.Json(answer, statusCode: StatusCodes.Status202Accepted);
        }));
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
