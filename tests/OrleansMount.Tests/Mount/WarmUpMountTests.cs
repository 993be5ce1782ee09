using OrleansMount.Grains.Prefetch;
using OrleansMount.Tests.Infrastructure;

namespace OrleansMount.Tests.Mount;

/// <summary>
/// The mount's adaptive warm-up through a real kernel mount, a real silo and s3rver: a reader reading cold files all over
/// the snapshot starts one prefetch of the rest, every object is still fetched once, a warm dataset starts none, and
/// <c>--no-warm-up</c> starts none.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class WarmUpMountTests(S3rverServer s3) : NodeProcessTests(s3, "om-warm-")
{
    private const int Directories = 3;
    private const int FilesPerDirectory = 20;

    [Fact]
    public async Task A_reader_walking_the_snapshot_starts_one_warm_up_that_fetches_every_file_once_and_none_when_off()
    {
        var random = new Random(21);
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var d = 0; d < Directories; d++)
        {
            for (var f = 0; f < FilesPerDirectory; f++)
            {
                var bytes = new byte[64 * 1024];
                random.NextBytes(bytes);
                tree[$"train/c{d}/img{f:D2}.jpg"] = bytes;
            }
        }

        var bucket = await S3.CreateUniqueBucketAsync("warm");
        foreach (var (key, content) in tree)
        {
            S3.SeedObject(bucket, "ds/" + key, content);
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "warm"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var catalog = $"s3://{bucket}/.orleansmount/";
        var shuffled = tree.Keys.OrderBy(_ => random.Next()).ToList();

        // Warm-up on (as users mount): a shuffled reader opens 33 files, then the silo prefetches the rest as one job.
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync(catalog, Temp.Sub("cache"), socket);
        var mnt = Temp.Sub("mnt");
        var log = Path.Combine(Temp.Path, "mount.log");
        // Readahead across files off: in a snapshot of 60 files, shuffled opens are all near each other and can look like
        // a walk in name order (FileReadaheadTests), which would serve some of the 33 from the cache and not count.
        await MountWithWarmUpAsync("warm", mnt, socket, log, "--no-metadata-prefetch", "--readahead-files", "0");
        foreach (var key in shuffled.Take(33))
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        var job = await WaitForTheOnlyPrefetchJobAsync(silo, "the warm-up to finish", () => File.ReadAllText(log));

        Assert.Equal(PrefetchState.Done, job.State);
        Assert.False(job.MetadataOnly);
        Assert.Equal(tree.Count, job.Files);
        // The mount logs the line once the silo has answered; a small job can finish before the log file has it.
        await WaitForAsync(() => File.ReadAllText(log).Contains("warm-up started", StringComparison.Ordinal), "the mount's log to say the warm-up started");

        // Everything reads right, and each object came from the store once: the reader's fills and the job's met.
        foreach (var key in shuffled)
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        var stats = await silo.StatsAsync();
        Assert.Equal(tree.Count, stats.Fills);
        Assert.Equal(tree.Count, stats.ObjectStoreGets);
        Assert.Single(await silo.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch"));
        await UnmountAsync(mnt);

        // A new mount reading the now warm dataset starts no warm-up: reads served from the cache do not count.
        await MountWithWarmUpAsync("warm", mnt, socket, Path.Combine(Temp.Path, "mount-warm.log"), "--no-metadata-prefetch");
        foreach (var key in shuffled)
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        await Task.Delay(2000);
        Assert.Single(await silo.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch"));
        Assert.Equal(tree.Count, (await silo.StatsAsync()).ObjectStoreGets);
        await UnmountAsync(mnt);

        // --no-warm-up, on another silo with an empty cache: the same reader starts nothing and fetches only what it reads.
        var offSocket = Path.Combine(Temp.Path, "off.sock");
        var off = await StartSiloAsync(catalog, Temp.Sub("cache-off"), offSocket);
        var offMnt = Temp.Sub("mnt-off");
        await MountAsync("warm", offMnt, offSocket, Path.Combine(Temp.Path, "mount-off.log"), "--no-metadata-prefetch");
        foreach (var key in shuffled.Take(33))
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(offMnt, key));
            Assert.True(tree[key].AsSpan().SequenceEqual(read), key);
        }

        await Task.Delay(2000);
        Assert.Empty(await off.GetJsonAsync<List<PrefetchJobStatus>>("api/v1/prefetch"));
        Assert.Equal(33, (await off.StatsAsync()).ObjectStoreGets);
        await UnmountAsync(offMnt);
    }
}
