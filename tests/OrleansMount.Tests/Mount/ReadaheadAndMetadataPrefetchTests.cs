using OrleansMount.Grains.Prefetch;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// One real silo and kernel mounts over s3rver: readahead follows sequential readers and ignores random
/// ones (the silo's readahead counters), metadata is prefetched at mount so a full walk fetches no range
/// file, and prefetch refuses unknown snapshots, paths and silos with a clear message and exit code.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ReadaheadAndMetadataPrefetchTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-ahead-")
{
    private async Task<(SiloProcess Silo, string Socket)> StartAsync(string snapshot, Dictionary<string, byte[]> tree)
    {
        var bucket = await S3.CreateUniqueBucketAsync("ahd");
        foreach (var (key, content) in tree)
        {
            S3.SeedObject(bucket, "ds/" + key, content);
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", snapshot], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync($"s3://{bucket}/.orleansmount/", Temp.Sub("cache"), socket);
        return (silo, socket);
    }

    /// <summary>The silo's stats once no readahead is in flight (fills started in the background have ended).</summary>
    private static async Task<SiloStats> ReadaheadSettledAsync(SiloProcess silo)
    {
        var stats = await FillsStoredAsync(silo);
        for (var deadline = DateTime.UtcNow.AddSeconds(30); stats.Readahead!.InFlight > 0 || stats.Fills + stats.FillErrors < stats.ObjectStoreGets; stats = await silo.StatsAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "readahead still in flight");
            await Task.Delay(50);
        }

        return stats;
    }

    [Fact]
    public async Task Readahead_triggers_for_sequential_reads_and_not_for_random_reads()
    {
        var random = new Random(5);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        var tree = new Dictionary<string, byte[]> { ["big/random.bin"] = Bytes(40 * MiB), ["big/sequential.bin"] = Bytes(40 * MiB) };
        var (silo, socket) = await StartAsync("ra", tree);
        var mnt = Temp.Sub("mnt");
        await MountAsync("ra", mnt, socket, Path.Combine(Temp.Path, "mount.log"), "--no-metadata-prefetch");

        // Random 4 KiB reads all over a cold file: each right, none triggers readahead.
        var buffer = new byte[4096];
        using (var handle = File.OpenHandle(Path.Combine(mnt, "big/random.bin")))
        {
            for (var i = 0; i < 200; i++)
            {
                var offset = (long)random.Next(0, (40 * MiB / 4096) - 1) * 4096;
                Assert.Equal(buffer.Length, RandomAccess.Read(handle, buffer, offset));
                Assert.True(tree["big/random.bin"].AsSpan((int)offset, buffer.Length).SequenceEqual(buffer), $"bytes at {offset}");
            }
        }

        var afterRandom = (await silo.StatsAsync()).Readahead!;
        Assert.True(afterRandom.Requests == 0, $"random reads triggered {afterRandom.Requests} readahead requests");
        Assert.Equal(0, afterRandom.ChunksAccepted);

        // dd-style sequential read of a cold file: the next chunks are fetched ahead.
        var dd = await ProcessRunner.RunAsync("dd", [$"if={Path.Combine(mnt, "big/sequential.bin")}", "of=/dev/null", "bs=1M"]);
        Assert.True(dd.ExitCode == 0, dd.ToString());
        var stats = await ReadaheadSettledAsync(silo);

        var ahead = stats.Readahead!;
        output.WriteLine($"readahead: {ahead.Requests} requests, {ahead.ChunksAccepted} accepted, {ahead.ChunksAlreadyLocal} already local, {ahead.ChunksDropped} dropped, {ahead.ChunksFilled} filled ({ahead.BytesFilled} B), {ahead.ChunksFailed} failed, max in flight {ahead.MaxInFlight}");
        Assert.True(ahead.Requests > 0, "a sequential read triggered no readahead");
        Assert.True(ahead.ChunksAccepted > 0, "readahead started no chunk");
        Assert.True(ahead.ChunksFilled > 0, "readahead filled no chunk");
        Assert.Equal(0, ahead.ChunksFailed);
        Assert.True(ahead.ChunksAccepted <= 9, $"{ahead.ChunksAccepted} chunks read ahead of a 10-chunk file whose first chunk the reader fetched itself");
        Assert.Equal(16, ahead.MaxInFlight); // 64 MiB of 4 MiB chunks, node-wide

        // Every chunk of the file was read from the object store once: readahead and reader met in one fill.
        var sequentialChunks = 10;
        var randomChunks = stats.Fills - sequentialChunks;
        Assert.InRange(randomChunks, 1, 10);
        Assert.Equal(stats.Fills, stats.ObjectStoreGets);
        await UnmountAsync(mnt);
    }

    [Fact]
    public async Task Files_opened_in_name_order_get_the_next_files_read_ahead_and_shuffled_opens_do_not()
    {
        // "other/" sorts before "walk/": its files are ordinals 0-1,999, in the order FileReadaheadTests' model shuffles.
        const int Others = 2_000, Walked = 100;
        var random = new Random(1);
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < Others; i++)
        {
            tree[$"other/g{i:D4}.bin"] = System.Text.Encoding.UTF8.GetBytes($"other {i}");
        }

        for (var i = 0; i < Walked; i++)
        {
            var bytes = new byte[64 * 1024];
            random.NextBytes(bytes);
            tree[$"walk/f{i:D3}.bin"] = bytes;
        }

        var (silo, socket) = await StartAsync("files", tree);
        var mnt = Temp.Sub("mnt");
        await MountAsync("files", mnt, socket, Path.Combine(Temp.Path, "mount.log"), "--no-metadata-prefetch", "--readahead-files", "32");

        // 300 shuffled opens of 2,000 files: no walk, nothing read ahead.
        var shuffle = new Random(1);
        foreach (var i in Enumerable.Range(0, Others).OrderBy(_ => shuffle.Next()).Take(300))
        {
            var key = $"other/g{i:D4}.bin";
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        var shuffled = (await silo.StatsAsync()).Readahead!;
        Assert.True(shuffled.FileRequests == 0, $"shuffled opens sent {shuffled.FileRequests} readahead requests across files");

        // One reader opening the files of a directory in name order: the files after the first few are read ahead.
        for (var i = 0; i < Walked; i++)
        {
            var key = $"walk/f{i:D3}.bin";
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        var stats = await ReadaheadSettledAsync(silo);

        var ahead = stats.Readahead!;
        output.WriteLine($"across files: {ahead.FileRequests} requests, {ahead.FilesCovered} files covered; chunks {ahead.ChunksAccepted} accepted, {ahead.ChunksFilled} filled, {ahead.ChunksDropped} dropped");
        Assert.InRange(ahead.FileRequests, 1, Walked);
        Assert.True(ahead.FilesCovered >= Walked - 10, $"{ahead.FilesCovered} of the {Walked} walked files covered ahead");
        Assert.True(ahead.ChunksFilled >= Walked / 2, $"readahead filled {ahead.ChunksFilled} of the walk's {Walked} files: the reader fetched the rest itself");
        Assert.Equal(0, ahead.ChunksFailed);

        // Each object came from the store once (readahead and reader met in one fill), and nothing beyond what was read.
        Assert.Equal(300 + Walked, stats.ObjectStoreGets);
        Assert.Equal(stats.Fills, stats.ObjectStoreGets);
        await UnmountAsync(mnt);
    }

    [Fact]
    public async Task Metadata_prefetched_at_mount_serves_a_full_find_and_prefetch_rejects_unknown_input_clearly()
    {
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var d = 0; d < 50; d++)
        {
            for (var f = 0; f < 100; f++)
            {
                tree[$"many/d-{d:D2}/f-{f:D3}.txt"] = System.Text.Encoding.UTF8.GetBytes($"{d}/{f}");
            }
        }

        var (silo, socket) = await StartAsync("meta", tree);
        var mnt = Temp.Sub("mnt");
        await MountAsync("meta", mnt, socket, Path.Combine(Temp.Path, "mount.log"));

        // The mount started a metadata-only job on its silo; wait for it to finish.
        var job = await WaitForTheOnlyPrefetchJobAsync(silo, "the mount's metadata prefetch to finish");

        Assert.Equal(PrefetchState.Done, job.State);
        Assert.True(job.MetadataOnly);
        Assert.Equal(1, job.Silos);
        Assert.True(job.RangesTotal >= 2, $"only {job.RangesTotal} ranges: the test needs a tree spread over several");
        Assert.Equal(job.RangesTotal, job.RangesDone);

        // A full find after it: every entry listed, and not one range file fetched.
        var before = await silo.StatsAsync();
        Assert.True(before.RangesFetched >= job.RangesTotal, $"{before.RangesFetched} range files fetched, the job had {job.RangesTotal}");
        var find = await ProcessRunner.RunAsync("find", [mnt]);
        Assert.True(find.ExitCode == 0, find.ToString());
        Assert.Equal(1 + 1 + 50 + tree.Count, find.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var after = await silo.StatsAsync();
        Assert.Equal(before.RangesFetched, after.RangesFetched);
        Assert.Equal(before.RangesFromCatalog, after.RangesFromCatalog);

        // --no-metadata-prefetch starts no job.
        var second = Temp.Sub("mnt2");
        await MountAsync("meta", second, socket, Path.Combine(Temp.Path, "mount2.log"), "--no-metadata-prefetch");
        Assert.Single(await silo.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch"));

        // Unknown snapshot, path or silo: one clear line and a non-zero exit, no job.
        var noSnapshot = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "no-such-snapshot", "--wait", "--silo", socket], Env);
        Assert.Equal(4, noSnapshot.ExitCode);
        Assert.Contains("no-such-snapshot", noSnapshot.StandardError, StringComparison.Ordinal);
        var noPath = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--path", "many/d-01", "--path", "many/nope", "--silo", socket], Env);
        Assert.Equal(4, noPath.ExitCode);
        Assert.Contains("orleansmount: no file or directory 'many/nope' in snapshot 'meta'", noPath.StandardError, StringComparison.Ordinal);
        var list = Path.Combine(Temp.Path, "list.txt");
        await File.WriteAllLinesAsync(list, ["many/d-02/f-001.txt", "many/d-02/missing.txt"]);
        var noListed = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--list", list, "--metadata-only", "--silo", socket], Env);
        Assert.Equal(4, noListed.ExitCode);
        Assert.Contains("'many/d-02/missing.txt'", noListed.StandardError, StringComparison.Ordinal);
        var badPath = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--path", "many/../etc", "--silo", socket], Env);
        Assert.Equal(2, badPath.ExitCode);
        Assert.Contains("not a valid path", badPath.StandardError, StringComparison.Ordinal);
        var noSilo = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--silo", Path.Combine(Temp.Path, "nobody.sock")], Env);
        Assert.Equal(3, noSilo.ExitCode);
        Assert.Contains("cannot reach the silo", noSilo.StandardError, StringComparison.Ordinal);
        var noName = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "--silo", socket], Env);
        Assert.Equal(2, noName.ExitCode);
        Assert.Contains("needs a snapshot NAME", noName.StandardError, StringComparison.Ordinal);
        Assert.Single(await silo.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch"));

        // A --list far over the silo's usual 1 MiB body limit (every file, twelve times over) is taken.
        var huge = Path.Combine(Temp.Path, "huge.txt");
        await File.WriteAllLinesAsync(huge, Enumerable.Repeat(tree.Keys, 12).SelectMany(k => k));
        Assert.True(new FileInfo(huge).Length > 1024 * 1024);
        var big = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--list", huge, "--metadata-only", "--wait", "--silo", socket], Env);
        Assert.True(big.ExitCode == 0, big.ToString());
        Assert.Contains($"{job.RangesTotal} of {job.RangesTotal} ranges ingested on 1 silos, 0 failed", big.StandardOutput, StringComparison.Ordinal);

        // A file selection (here in --list order) fetches just those files' chunks.
        var one = await ProcessRunner.RunAsync(RepoPaths.Cli, ["prefetch", "meta", "--path", "many/d-03/f-007.txt", "--path", "many/d-03/f-007.txt", "--wait", "--silo", socket], Env);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("1 chunks fetched (3 B), 0 already cached, 0 failed, of 1 (3 B in 1 files)", one.StandardOutput, StringComparison.Ordinal);
        await UnmountAsync(second);
        await UnmountAsync(mnt);
    }
}
