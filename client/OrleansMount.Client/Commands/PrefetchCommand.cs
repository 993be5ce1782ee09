using System.CommandLine;
using System.Text.Json;
using OrleansMount.Client.Mount;
using OrleansMount.Core;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;

namespace OrleansMount.Client.Commands;

/// <summary>
/// <c>orleansmount prefetch NAME [--path P]... [--list FILE] [--metadata-only | --every-node] [--concurrency N] [--wait]</c>,
/// <c>--status [JOB]</c> and <c>--cancel JOB</c>: warm the whole cluster's cache with a selection of a
/// snapshot. The silo asked coordinates the job; each chunk's owner fills it once.
/// </summary>
internal static class PrefetchCommand
{
    private const int MaxFailuresShown = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var name = new Argument<string?>("NAME") { Description = "The snapshot to prefetch.", Arity = ArgumentArity.ZeroOrOne };
        var paths = new Option<string[]>("--path") { Description = "A directory or file of the snapshot (repeatable, fetched in the order given). Default: the whole snapshot.", HelpName = "P", AllowMultipleArgumentsPerToken = false };
        var list = new Option<string?>("--list") { Description = "A file naming one snapshot path per line, in training order (after any --path).", HelpName = "FILE" };
        var metadataOnly = new Option<bool>("--metadata-only") { Description = "Only fetch and ingest the selection's metadata (ranges), on every silo." };
        var everyNode = new Option<bool>("--every-node") { Description = "Every silo keeps its own copy of the selection (owners read it from the object store once, the others copy it from them): the first epoch then reads only local disks. For selections that fit every node's cache." };
        var concurrency = new Option<int>("--concurrency") { Description = "Chunks in flight per silo for this job.", DefaultValueFactory = _ => 4, HelpName = "N" };
        var wait = new Option<bool>("--wait") { Description = "Show progress until the job ends; exit non-zero if anything failed (Ctrl-C cancels the job)." };
        var status = new Option<string?>("--status") { Description = "Show one job, or every job the silo remembers.", HelpName = "JOB", Arity = ArgumentArity.ZeroOrOne };
        var cancel = new Option<string?>("--cancel") { Description = "Cancel a job (its owners stop too).", HelpName = "JOB" };
        var json = Cli.JsonOption();
        var silo = MountCommand.SiloOption();
        var command = new Command("prefetch", "Warm the cluster's cache with a snapshot's files (or only its metadata). Prints a job id, or with --wait shows progress.")
        {
            name, paths, list, metadataOnly, everyNode, concurrency, wait, status, cancel, json, silo,
        };
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            using var client = new SiloClient(parse.GetValue(silo)!, TimeSpan.FromMinutes(10));
            if (parse.GetValue(cancel) is { } cancelJob)
            {
                var cancelled = await Known(() => client.CancelPrefetchAsync(cancelJob, cancellationToken)).ConfigureAwait(false);
                Console.WriteLine($"prefetch job {cancelled.Id}: {cancelled.State}");
                return parse.GetValue(wait) ? await WaitAsync(client, cancelled.Id, cancellationToken).ConfigureAwait(false) : 0;
            }

            if (parse.GetResult(status) is not null)
            {
                return await ShowAsync(client, parse.GetValue(status), parse.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            var snapshot = parse.GetValue(name) ?? throw new OrleansMountException("prefetch needs a snapshot NAME (or --status / --cancel JOB)", 2);
            var selection = (parse.GetValue(paths) ?? []).Concat(ReadList(parse.GetValue(list))).ToList();
            var request = new PrefetchRequest(snapshot, selection, parse.GetValue(metadataOnly), parse.GetValue(concurrency), EveryNode: parse.GetValue(everyNode));
            if (request.MetadataOnly && request.EveryNode)
            {
                throw new OrleansMountException("--every-node and --metadata-only do not go together (metadata is always ingested on every silo)", 2);
            }

            if (request.Concurrency is < 1 or > 256)
            {
                throw new OrleansMountException($"--concurrency {request.Concurrency} must be from 1 to 256", 2);
            }

            var job = await Known(() => client.StartPrefetchAsync(request, cancellationToken)).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(request.MetadataOnly
                ? $"prefetch job {job.Id}: {job.RangesTotal / Math.Max(1, job.Silos)} ranges of '{snapshot}' on {job.Silos} silos"
                : job.EveryNode
                ? $"prefetch job {job.Id}: {job.Files} files of '{snapshot}', {job.ChunksTotal / Math.Max(1, job.Silos)} chunks, {ByteSize.Format(job.BytesTotal / Math.Max(1, job.Silos))}, a copy on each of {job.Silos} silos"
                : $"prefetch job {job.Id}: {job.Files} files of '{snapshot}', {job.ChunksTotal} chunks, {ByteSize.Format(job.BytesTotal)} on {job.Silos} silos").ConfigureAwait(false);
            if (!parse.GetValue(wait))
            {
                Console.WriteLine(job.Id);
                await Console.Error.WriteLineAsync($"follow it with: orleansmount prefetch --status {job.Id}").ConfigureAwait(false);
                return 0;
            }

            return await WaitAsync(client, job.Id, cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    /// <summary>Polls the job until it ends; Ctrl-C cancels it. Exit 0 done, 1 something failed, 130 cancelled.</summary>
    private static async Task<int> WaitAsync(SiloClient client, string jobId, CancellationToken cancellationToken)
    {
        var printer = new PrefetchProgressPrinter();
        PrefetchJobStatus job;
        try
        {
            while (true)
            {
                job = await client.GetPrefetchAsync(jobId, cancellationToken).ConfigureAwait(false);
                printer.Report(job);
                if (PrefetchState.IsFinished(job.State))
                {
                    break;
                }

                await Task.Delay(printer.Interval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            printer.Finish();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            job = await client.CancelPrefetchAsync(jobId, bound.Token).ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"orleansmount: prefetch job {jobId} cancelled").ConfigureAwait(false);
            return 130;
        }

        printer.Finish();
        Console.WriteLine(Summary(job));
        PrintFailures(job);
        return job.State switch
        {
            PrefetchState.Done => 0,
            PrefetchState.Cancelled => 130,
            _ => 1,
        };
    }

    private static async Task<int> ShowAsync(SiloClient client, string? jobId, bool json, CancellationToken cancellationToken)
    {
        if (jobId is not null)
        {
            var job = await Known(() => client.GetPrefetchAsync(jobId, cancellationToken)).ConfigureAwait(false);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(job, Json));
                return 0;
            }

            Console.WriteLine(Summary(job));
            Console.WriteLine($"  snapshot {job.Snapshot} ({job.SnapshotId}), paths: {(job.Paths.Count == 0 ? "(all)" : string.Join(", ", job.Paths.Take(10)) + (job.Paths.Count > 10 ? $", … ({job.Paths.Count})" : ""))}");
            Console.WriteLine($"  started {job.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" + (job.FinishedAt is { } end ? $", finished after {(end - job.StartedAt).TotalSeconds:0.0} s" : ""));
            PrintFailures(job);
            return 0;
        }

        var jobs = await client.ListPrefetchAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(jobs, Json));
            return 0;
        }

        if (jobs.Count == 0)
        {
            Console.WriteLine("no prefetch jobs on this silo");
            return 0;
        }

        Console.WriteLine($"{"JOB",-12} {"STATE",-10} {"SNAPSHOT",-20} {"PROGRESS",-36} STARTED (UTC)");
        foreach (var job in jobs)
        {
            var progress = job.MetadataOnly ? $"{job.RangesDone}/{job.RangesTotal} ranges" : $"{ByteSize.Format(job.BytesDone)}/{ByteSize.Format(job.BytesTotal)}, {job.ChunksDone}/{job.ChunksTotal} chunks";
            Console.WriteLine($"{job.Id,-12} {job.State,-10} {job.Snapshot,-20} {progress,-36} {job.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
        }

        return 0;
    }

    private static string Summary(PrefetchJobStatus job) => job.MetadataOnly
        ? $"prefetch job {job.Id} {job.State}: {job.RangesDone} of {job.RangesTotal} ranges ingested on {job.Silos} silos, {job.RangesFailed} failed"
        : $"prefetch job {job.Id} {job.State}: {job.ChunksFetched} chunks fetched ({ByteSize.Format(job.BytesFetched)}), {job.ChunksSkipped} already cached, {job.ChunksFailed} failed, of {job.ChunksTotal} ({ByteSize.Format(job.BytesTotal)} in {job.Files} files)";

    private static void PrintFailures(PrefetchJobStatus job)
    {
        foreach (var failure in job.Failures.Take(MaxFailuresShown))
        {
            Console.Error.WriteLine($"  failed: {failure.Object}: {failure.Reason}");
        }

        var more = job.Failures.Count - MaxFailuresShown + job.FailuresOmitted;
        if (more > 0)
        {
            Console.Error.WriteLine($"  … and {more} more failures (--status {job.Id} --json lists them)");
        }
    }

    private static IEnumerable<string> ReadList(string? file)
    {
        if (file is null)
        {
            return [];
        }

        try
        {
            return [.. File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OrleansMountException($"--list {file} cannot be read: {e.Message}", 2);
        }
    }

    /// <summary>A path or job the silo does not know is "not found" (exit 4), with the silo's message.</summary>
    private static async Task<T> Known<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SiloException e) when (e.Kind == SiloError.NotFound)
        {
            throw new OrleansMountException(e.Message, 4);
        }
        catch (SiloException e) when (e.Kind == SiloError.BadRequest)
        {
            throw new OrleansMountException(e.Message, 2);
        }
    }
}
