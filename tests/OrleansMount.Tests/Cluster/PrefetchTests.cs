using System.Net.Http.Json;
using System.Text.Json;
using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// Cluster-wide prefetch with three real silos, redis-server, s3rver and kernel mounts: each chunk of
/// the selection is read from the object store once for the whole cluster, by its owner; an epoch
/// through the mounts afterwards reads nothing from the object store; cancel stops the owners.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class PrefetchTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-prefetch-"), IClassFixture<RedisServer>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task StartClusterAsync(string catalog, params string[] extra)
    {
        var cluster = "p" + Guid.NewGuid().ToString("N")[..8];
        foreach (var name in new[] { "node-a", "node-b", "node-c" })
        {
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Socket(name), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, .. extra]);
        }

        foreach (var silo in Silos)
        {
            await WaitForActiveAsync(silo, 3);
        }
    }

    private string Socket(string name) => Path.Combine(Temp.Path, name + ".sock");

    private Task<ProcessRunner.Result> CliAsync(params string[] args) => ProcessRunner.RunAsync(RepoPaths.Cli, args, Env);

    [Fact]
    public async Task Prefetch_reads_each_chunk_once_cluster_wide_and_the_epoch_after_it_reads_no_object_store()
    {
        var (catalog, files) = await SeedAndImportAsync("pf", "warm", 24, MiB / 2, 6 * MiB, i => i < 20 ? $"shard-{i / 5}/part-{i:D2}.bin" : $"other/part-{i:D2}.bin");
        await StartClusterAsync(catalog);
        var listFile = Path.Combine(Temp.Path, "order.txt");
        await File.WriteAllLinesAsync(listFile, ["# training order", "shard-3/part-19.bin", "shard-3/part-15.bin", "", "shard-2/part-10.bin"]);
        var selection = files.Where(f => f.Key.StartsWith("shard-0/", StringComparison.Ordinal) || f.Key.StartsWith("shard-1/", StringComparison.Ordinal) || f.Key is "shard-3/part-19.bin" or "shard-3/part-15.bin" or "shard-2/part-10.bin").ToDictionary();
        var selectionBytes = selection.Values.Sum(v => (long)v.Length);

        var run = await CliAsync("prefetch", "warm", "--path", "shard-0", "--path", "/shard-1/", "--list", listFile, "--concurrency", "2", "--wait", "--silo", Socket("node-a"));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("done", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("prefetch", run.StandardError, StringComparison.Ordinal); // progress lines

        var stats = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        foreach (var s in stats)
        {
            output.WriteLine($"{s.SiloId}: object store {s.ObjectStoreGets} GETs {s.ObjectStoreBytes} B, prefetch fetched {s.Prefetch!.ChunksFetched} chunks {s.Prefetch.BytesFetched} B, skipped {s.Prefetch.ChunksSkipped}, peer {s.PeerFetches}");
        }

        // Each chunk once, by its owner: the three silos' object-store bytes add up to the selection.
        Assert.InRange(stats.Sum(s => s.ObjectStoreBytes), (long)(selectionBytes * 0.95), (long)(selectionBytes * 1.05));
        Assert.Equal(stats.Sum(s => s.ObjectStoreBytes), stats.Sum(s => s.Prefetch!.BytesFetched));
        Assert.All(stats, s => Assert.True(s.Prefetch!.ChunksFetched > 0, $"{s.SiloId} owned no chunk of the selection"));
        Assert.All(stats, s => Assert.Equal(0, s.PeerFetches)); // owners fill their own chunks: nothing copied around
        Assert.All(stats, s => Assert.Equal(0, s.OwnerFallbacks));

        // The job as the coordinating silo reports it.
        var jobs = await CliAsync("prefetch", "--status", "--json", "--silo", Socket("node-a"));
        Assert.True(jobs.ExitCode == 0, jobs.ToString());
        var job = Assert.Single(JsonSerializer.Deserialize<List<PrefetchJobStatus>>(jobs.StandardOutput, Json)!);
        Assert.Equal(PrefetchState.Done, job.State);
        Assert.Equal(selection.Count, job.Files);
        Assert.Equal(selectionBytes, job.BytesTotal);
        Assert.Equal(job.BytesTotal, job.BytesDone);
        Assert.Equal(job.ChunksTotal, job.ChunksFetched);
        Assert.Equal(3, job.Silos);

        // A second prefetch of the same selection finds everything cached.
        var again = await CliAsync("prefetch", "warm", "--path", "shard-0", "--path", "shard-1", "--list", listFile, "--wait", "--silo", Socket("node-b"));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"0 chunks fetched (0 B), {job.ChunksTotal} already cached", again.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(stats.Sum(s => s.ObjectStoreBytes), (await Task.WhenAll(Silos.Select(s => s.StatsAsync()))).Sum(s => s.ObjectStoreBytes));

        // An epoch over the selection through every mount: no object-store read at all.
        var mounts = await MountEveryNodeAndReadAsync("warm", selection);
        var after = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        Assert.Equal(stats.Sum(s => s.ObjectStoreGets), after.Sum(s => s.ObjectStoreGets));
        Assert.Equal(stats.Sum(s => s.ObjectStoreBytes), after.Sum(s => s.ObjectStoreBytes));
        Assert.True(after.Sum(s => s.PeerFetches) > 0, "mounts read chunks of other owners without copying them");

        // Metadata only: every silo ingests the snapshot's ranges.
        var metadata = await CliAsync("prefetch", "warm", "--metadata-only", "--wait", "--silo", Socket("node-c"));
        Assert.True(metadata.ExitCode == 0, metadata.ToString());
        Assert.Contains("ranges ingested on 3 silos, 0 failed", metadata.StandardOutput, StringComparison.Ordinal);
        foreach (var mnt in mounts)
        {
            await UnmountAsync(mnt);
        }
    }

    [Fact]
    public async Task An_every_node_prefetch_reads_each_chunk_once_and_leaves_a_copy_on_every_silo_so_the_epoch_reads_only_local_disks()
    {
        var (catalog, files) = await SeedAndImportAsync("pf", "copies", 12, MiB / 2, 9 * MiB, i => $"part-{i:D2}.bin");
        await StartClusterAsync(catalog);
        var total = files.Values.Sum(v => (long)v.Length);

        var both = await CliAsync("prefetch", "copies", "--every-node", "--metadata-only", "--silo", Socket("node-a"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--every-node and --metadata-only do not go together", both.StandardError, StringComparison.Ordinal);

        var run = await CliAsync("prefetch", "copies", "--every-node", "--wait", "--silo", Socket("node-b"));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("a copy on each of 3 silos", run.StandardError, StringComparison.Ordinal);

        var stats = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        foreach (var s in stats)
        {
            output.WriteLine($"{s.SiloId}: {s.Chunks} chunks, object store {s.ObjectStoreBytes} B, from peers {s.PeerFetches} chunks {s.PeerBytes} B");
        }

        var job = Assert.Single(JsonSerializer.Deserialize<List<PrefetchJobStatus>>((await CliAsync("prefetch", "--status", "--json", "--silo", Socket("node-b"))).StandardOutput, Json)!);
        Assert.Equal(PrefetchState.Done, job.State);
        Assert.True(job.EveryNode);
        Assert.Equal(3, job.Silos);
        Assert.Equal(3 * total, job.BytesTotal);
        var chunks = job.ChunksTotal / 3;

        // The object store once for the cluster; every other copy came from the chunk's owner.
        Assert.InRange(stats.Sum(s => s.ObjectStoreBytes), (long)(total * 0.95), (long)(total * 1.05));
        Assert.All(stats, s => Assert.Equal(chunks, s.Chunks));
        Assert.Equal(2 * total, stats.Sum(s => s.PeerBytes));
        Assert.All(stats, s => Assert.Equal(0, s.OwnerFallbacks));

        // An epoch over everything on every mount, after its index (a listing, as a training job's): neither the object
        // store nor a peer is asked, and no file is looked up: the data is on every node, so the listing came with
        // attributes (decision 0033) and the kernel opened each file with the inode the listing gave it.
        var mounts = await MountEveryNodeAndReadAsync("copies", files, listFirst: true);
        var after = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        Assert.Equal(stats.Sum(s => s.ObjectStoreBytes), after.Sum(s => s.ObjectStoreBytes));
        Assert.Equal(stats.Sum(s => s.PeerFetches), after.Sum(s => s.PeerFetches));
        foreach (var mnt in mounts)
        {
            await UnmountAsync(mnt);
        }

        foreach (var name in new[] { "node-a", "node-b", "node-c" })
        {
            // The mount writes its counts once its FUSE loop has ended, i.e. after the kernel's unmount that umount waits for.
            var path = Path.Combine(Temp.Path, name + "-mount.log");
            var pattern = new System.Text.RegularExpressions.Regex(@"(\d+) lookups; .* (\d+) pages listed with attributes as their data was on this node");
            await WaitForAsync(() => pattern.IsMatch(File.ReadAllText(path)), $"the unmount line in {path}");
            var log = await File.ReadAllTextAsync(path);
            var counts = pattern.Match(log);
            Assert.True(counts.Success, log);
            Assert.Equal("0", counts.Groups[1].Value);
            Assert.Equal("1", counts.Groups[2].Value);
        }
    }

    [Fact]
    public async Task Cancel_stops_the_owners_before_the_selection_is_fetched()
    {
        // Many small chunks (64 KiB), one at a time per owner: far more work than a cancel takes to arrive.
        var (catalog, files) = await SeedAndImportAsync("pf", "slow", 32, 2 * MiB, 2 * MiB, i => $"part-{i:D2}.bin");
        await StartClusterAsync(catalog, "--chunk-size", "64KiB");
        var total = files.Values.Sum(v => (long)v.Length);

        var start = await CliAsync("prefetch", "slow", "--concurrency", "1", "--silo", Socket("node-a"));
        Assert.True(start.ExitCode == 0, start.ToString());
        var id = start.StandardOutput.Trim();
        Assert.Matches("^[0-9a-f]{12}$", id);
        using (var response = await Silos[0].PostJsonAsync<object?>($"api/v1/prefetch/{id}/cancel", null))
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var job = await PollAsync(() => Silos[0].GetJsonAsync<PrefetchJobStatus>($"api/v1/prefetch/{id}"), j => j.State == PrefetchState.Cancelled, "the job to be cancelled");

        // Every owner stopped (no batch left running anywhere), having fetched only part of the selection.
        foreach (var silo in Silos)
        {
            await PollAsync(silo.StatsAsync, s => s.Prefetch!.ActiveBatches == 0, "the owners to stop");
        }

        var stats = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        var fetched = stats.Sum(s => s.ObjectStoreBytes);
        output.WriteLine($"cancelled after {job.ChunksDone}/{job.ChunksTotal} chunks; object store {fetched} of {total} B");
        Assert.Equal(total, job.BytesTotal);
        Assert.True(job.BytesDone < job.BytesTotal, $"{job.BytesDone} of {job.BytesTotal} bytes done: the cancel came too late to stop anything");
        Assert.True(fetched < total / 2, $"{fetched} of {total} bytes were read from the object store after a cancel right at the start");
        Assert.Empty(job.Failures);

        // The CLI sees the same: --status shows it cancelled, --cancel of a finished job says so, unknown jobs exit 4.
        var status = await CliAsync("prefetch", "--status", id, "--silo", Socket("node-a"));
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"prefetch job {id} cancelled", status.StandardOutput, StringComparison.Ordinal);
        var cancel = await CliAsync("prefetch", "--cancel", id, "--silo", Socket("node-a"));
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        var unknown = await CliAsync("prefetch", "--status", "000000000000", "--silo", Socket("node-a"));
        Assert.Equal(4, unknown.ExitCode);
        Assert.Contains("no prefetch job '000000000000' in this cluster", unknown.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_is_seen_and_cancelled_through_any_silo_and_survives_the_kill_of_the_silo_that_started_it()
    {
        // Many small chunks, one at a time per owner: the job outlasts the kill of the silo that started it.
        var (catalog, files) = await SeedAndImportAsync("pj", "jobs", 32, 2 * MiB, 2 * MiB, i => $"part-{i:D2}.bin");
        await StartClusterAsync(catalog, "--chunk-size", "64KiB");
        string[] Paths(int from) => [.. Enumerable.Range(from, 16).SelectMany(i => new[] { "--path", $"part-{i:D2}.bin" })];

        var start = await CliAsync(["prefetch", "jobs", .. Paths(0), "--concurrency", "1", "--silo", Socket("node-a")]);
        Assert.True(start.ExitCode == 0, start.ToString());
        var id = start.StandardOutput.Trim();

        // Its status through another silo comes from the job's grain, as node-a reported it.
        var seen = await PollJobAsync(Silos[1], id, j => j.ChunksDone > 0, TimeSpan.FromSeconds(30), "node-b to see the job's progress");
        Assert.Equal(PrefetchState.Running, seen.State);
        Assert.True(seen.ChunksDone < seen.ChunksTotal, "the job finished before the kill: make it longer");

        // node-a dies (kill -9). Asked through node-b, the job is resumed there once node-a has been silent for 10 s,
        // and finishes with every chunk (those node-a owned come from the object store through the survivors).
        await Silos[0].KillAsync();
        var done = await PollJobAsync(Silos[1], id, j => PrefetchState.IsFinished(j.State), TimeSpan.FromSeconds(120), "the job to finish on a survivor");
        output.WriteLine($"job {id}: {done.State}, {done.ChunksDone}/{done.ChunksTotal} chunks ({done.ChunksFetched} fetched, {done.ChunksSkipped} already cached)");
        Assert.Equal(PrefetchState.Done, done.State);
        Assert.Equal(done.ChunksTotal, done.ChunksDone);
        Assert.Equal(0, done.ChunksFailed);
        Assert.Contains("resuming it on node-b", Silos[1].Log, StringComparison.Ordinal);
        Assert.Equal(PrefetchState.Done, (await PollJobAsync(Silos[2], id, _ => true, TimeSpan.FromSeconds(30), "node-c to see the job")).State);

        // Cancel through any silo: a job started through node-b, cancelled through node-c, is seen cancelled through node-b.
        var again = await CliAsync(["prefetch", "jobs", .. Paths(16), "--concurrency", "1", "--silo", Socket("node-b")]);
        Assert.True(again.ExitCode == 0, again.ToString());
        var second = again.StandardOutput.Trim();
        var cancel = await CliAsync("prefetch", "--cancel", second, "--silo", Socket("node-c"));
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        var cancelled = await PollJobAsync(Silos[1], second, j => PrefetchState.IsFinished(j.State), TimeSpan.FromSeconds(30), "the second job to stop");
        Assert.Equal(PrefetchState.Cancelled, cancelled.State);
    }

    /// <summary>Polls a job's status through one silo (an answer that fails, e.g. while a dead silo is being declared dead, is retried).</summary>
    private static async Task<PrefetchJobStatus> PollJobAsync(SiloProcess silo, string id, Func<PrefetchJobStatus, bool> done, TimeSpan limit, string what)
    {
        string? last = null;
        for (var deadline = DateTime.UtcNow + limit; ; await Task.Delay(200))
        {
            try
            {
                var status = await silo.GetJsonAsync<PrefetchJobStatus>($"api/v1/prefetch/{id}");
                if (done(status))
                {
                    return status;
                }

                last = $"{status.State} {status.ChunksDone}/{status.ChunksTotal}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last: {last}\n{silo.Log}");
        }
    }

    /// <summary>Mounts the snapshot on each node, then every mount reads every file of <paramref name="files"/> at once, checking its bytes.</summary>
    private async Task<List<string>> MountEveryNodeAndReadAsync(string snapshot, IReadOnlyDictionary<string, byte[]> files, bool listFirst = false)
    {
        var mounts = new List<string>();
        foreach (var name in new[] { "node-a", "node-b", "node-c" })
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync(snapshot, mnt, Socket(name), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        await Task.WhenAll(mounts.Select(mnt => Task.Run(async () =>
        {
            if (listFirst)
            {
                Assert.Equal(files.Keys.Order(StringComparer.Ordinal), Directory.EnumerateFiles(mnt).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            }

            foreach (var (key, content) in files)
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                Assert.True(content.AsSpan().SequenceEqual(read), $"content of {key} through {mnt}");
            }
        })));
        return mounts;
    }

    /// <summary>Polls until <paramref name="done"/> holds (a deadline guards a hang, not a timing claim).</summary>
    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(50))
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
        }
    }
}
