using System.Diagnostics;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Reliability;

/// <summary>
/// A faulty object store (the fault-injecting proxy in front of s3rver) under a real silo and kernel
/// mount: transient 500s, 503 SlowDowns, resets, bodies cut short and stalls are retried with backoff
/// and every byte read is right; an object that keeps failing gives EIO after the deadline with a log
/// line naming it; nothing from a failed or short response is ever cached.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ObjectStoreFaultTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-faults-")
{
    [Fact]
    public async Task Transient_faults_are_retried_and_every_byte_through_the_mount_is_right_and_nothing_short_is_cached()
    {
        var (catalog, files) = await SeedAndImportAsync("flt", "faulty", 24, 200_000, 3 * MiB, i => $"f-{i:D2}.bin");

        // Each kind of fault hits the first requests of one file for certain, and every 9th GET of anything (catalog too).
        await using var proxy = await LatencyProxyProcess.StartAsync(
            S3.Endpoint,
            0,
            0,
            "503:path=/f-01.bin,first=2",
            "500:path=/f-02.bin,first=2",
            "reset:path=/f-03.bin,first=2",
            "reset-body:path=/f-04.bin,first=2",
            "stall:path=/f-05.bin,first=1",
            "503:methods=GET,every=9");
        ObjectStoreEndpoint = proxy.Endpoint;
        var cache = Temp.Sub("cache");
        var socket = Path.Combine(Temp.Path, "silo.sock");
        string[] siloArgs = ["--chunk-size", "1MiB", "--object-store-attempts", "6", "--object-store-timeout", "1s", "--object-store-deadline", "30s"];
        var silo = await StartSiloAsync(catalog, cache, socket, siloArgs);
        var mnt = Temp.Sub("mnt");
        await MountAsync("faulty", mnt, socket, Path.Combine(Temp.Path, "mount.log"));

        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (file, ct) =>
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, file.Key), ct);
            Assert.True(file.Value.AsSpan().SequenceEqual(read), $"content of {file.Key} differs");
        });

        var stats = await silo.StatsAsync();
        var injected = await proxy.StatsAsync();
        output.WriteLine($"faults injected: {string.Join(", ", injected.Faults.Select(f => $"{f.Key} {f.Value}"))}; silo retried {stats.ObjectStoreRetries}, failed {stats.ObjectStoreFailures}, fill errors {stats.FillErrors}");
        foreach (var kind in new[] { "SlowDown", "InternalError", "Reset", "ResetMidBody", "Stall" })
        {
            Assert.True(injected.Injected(kind) > 0, $"no {kind} was injected");
        }

        // At least one retry per fault aimed at a file (2+2+2+2+1); the every-9th rule also hits the mount command's own catalog reads.
        Assert.True(stats.ObjectStoreRetries >= 9, $"{stats.ObjectStoreRetries} retries for {injected.Faults.Values.Sum()} faults");
        Assert.Equal(0, stats.ObjectStoreFailures);
        Assert.Equal(0, stats.FillErrors);
        await UnmountAsync(mnt);
        await silo.StopAsync();

        // Restarted on the same cache and straight on s3rver: every chunk is checked in full on its first
        // open, and a chunk cached from a short or cut response would fail that check or differ.
        ObjectStoreEndpoint = null;
        var again = await StartSiloAsync(catalog, cache, socket, siloArgs);
        await MountAsync("faulty", mnt, socket, Path.Combine(Temp.Path, "mount2.log"));
        foreach (var (key, content) in files)
        {
            var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
            Assert.True(content.AsSpan().SequenceEqual(read), $"cached content of {key} differs");
        }

        var after = await again.StatsAsync();
        Assert.Equal(0, after.CorruptionsDetected);
        Assert.Equal(0, after.ObjectStoreGets);
        output.WriteLine($"{files.Count} files, {files.Values.Sum(v => (long)v.Length)} bytes verified twice; {after.ObjectStoreGets} object-store GETs after the restart");
    }

    [Fact]
    public async Task An_object_that_keeps_failing_gives_EIO_after_bounded_retries_naming_it_and_nothing_is_cached()
    {
        var bucket = await S3.CreateUniqueBucketAsync("eio");
        var good = new byte[150_000];
        new Random(5).NextBytes(good);
        foreach (var key in new[] { "broken/a.bin", "stalled/b.bin", "cut/c.bin", "good/d.bin" })
        {
            S3.SeedObject(bucket, "ds/" + key, good);
        }

        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "eio"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint, 0, 0, "500:path=/broken/", "stall:path=/stalled/", "reset-body:path=/cut/");
        ObjectStoreEndpoint = proxy.Endpoint;
        var socket = Path.Combine(Temp.Path, "silo.sock");
        var silo = await StartSiloAsync($"s3://{bucket}/.orleansmount/", Temp.Sub("cache"), socket, ["--object-store-attempts", "4", "--object-store-timeout", "1s", "--object-store-deadline", "4s"]);
        var mnt = Temp.Sub("mnt");
        var log = Path.Combine(Temp.Path, "mount.log");
        await MountAsync("eio", mnt, socket, log);

        // Four attempts with at least 100 + 200 + 400 ms of backoff between them, then EIO.
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<IOException>(() => File.ReadAllBytesAsync(Path.Combine(mnt, "broken/a.bin")));
        var failedAfter = watch.Elapsed;
        Assert.Contains("Input/output error", error.Message, StringComparison.Ordinal);
        Assert.InRange(failedAfter, TimeSpan.FromMilliseconds(700), TimeSpan.FromSeconds(20));
        var broken = (await proxy.StatsAsync()).Injected("InternalError");
        Assert.True(broken >= 4 && broken % 4 == 0, $"{broken} requests for the broken object, expected a multiple of the 4 attempts");

        // A stalled response is abandoned after the attempt timeout; no attempt starts after the deadline.
        watch.Restart();
        await Assert.ThrowsAnyAsync<IOException>(() => File.ReadAllBytesAsync(Path.Combine(mnt, "stalled/b.bin")));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<IOException>(() => File.ReadAllBytesAsync(Path.Combine(mnt, "cut/c.bin")));

        // The mount says which object failed and why; the rest of the snapshot reads.
        await WaitForAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("stalled/b.bin", StringComparison.Ordinal) && File.ReadAllText(log).Contains("cut/c.bin", StringComparison.Ordinal), "the EIO log lines");
        var text = File.ReadAllText(log);
        Assert.Contains($"read of s3://{bucket}/ds/broken/a.bin at 0", text, StringComparison.Ordinal);
        Assert.Contains($"failed, EIO: read failed: the object store at {proxy.Endpoint} failed on s3://{bucket}/ds/broken/a.bin: InternalError (500)", text, StringComparison.Ordinal);
        Assert.Contains("(gave up after 4 attempts in", text, StringComparison.Ordinal);
        Assert.Contains($"sent no complete answer for s3://{bucket}/ds/stalled/b.bin within 1 s (gave up after", text, StringComparison.Ordinal);
        Assert.Equal(good, await File.ReadAllBytesAsync(Path.Combine(mnt, "good/d.bin")));
        // The read streamed the good chunk as it arrived (decision 0035): it is stored once that fill ends.
        await WaitForAsync(() => silo.StatsAsync().GetAwaiter().GetResult().Fills >= 1, "the good file's fill stored");

        var stats = await silo.StatsAsync();
        output.WriteLine($"EIO after {failedAfter.TotalSeconds:0.00} s; retries {stats.ObjectStoreRetries}, failures {stats.ObjectStoreFailures}, fill errors {stats.FillErrors}");
        Assert.Equal(1, stats.Chunks); // only the good file's chunk: nothing from the failed or cut responses
        Assert.True(stats.ObjectStoreFailures >= 3, $"{stats.ObjectStoreFailures} failures counted");
        Assert.True(stats.FillErrors >= 3, $"{stats.FillErrors} fill errors counted");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(silo.CacheDirectory, "chunks"), "*.tmp", SearchOption.AllDirectories));
    }
}
