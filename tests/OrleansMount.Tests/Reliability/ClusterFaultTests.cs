using System.Diagnostics;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Reliability;

/// <summary>
/// Faults of the cluster's own parts under real silos, redis-server and kernel mounts: Redis killed for 30 s
/// while three mounts read (Orleans keeps the last membership and its silo-to-silo connections; the cluster
/// carries on and is whole when Redis returns with its data), and the range files an owner keeps for its
/// peers truncated on its disk.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ClusterFaultTests(S3rverServer s3, ITestOutputHelper output) : NodeProcessTests(s3, "om-clfault-")
{
    private static readonly string[] Names = ["node-a", "node-b", "node-c"];

    [Fact]
    public async Task Redis_down_for_30_s_costs_no_read_and_the_cluster_carries_on()
    {
        using var redis = await RedisServer.StartAsync(durable: true);
        var (catalog, files) = await SeedAndImportAsync("rds", "redis", 18, 300_000, 2 * MiB, i => $"d{i % 3}/part-{i:D2}.bin");
        var cluster = "r" + Guid.NewGuid().ToString("N")[..8];
        var silos = await StartClusterAsync(catalog, redis.Configuration, cluster, Names);
        var mounts = await MountOnEachAsync("redis", Names);
        foreach (var key in files.Keys.Take(6))
        {
            await File.ReadAllBytesAsync(Path.Combine(mounts[0], key));
        }

        // Redis gone (kill -9 by pid) for 30 s, while six readers over three mounts read everything, most of it uncached.
        var outage = TimeSpan.FromSeconds(30);
        var readers = new MountReaders();
        var watch = Stopwatch.StartNew();
        redis.Kill();
        await readers.RunAsync(mounts, files, 6, DateTime.UtcNow + outage);
        Assert.True(watch.Elapsed >= outage);
        Assert.True(readers.Errors.Count == 0, string.Join('\n', readers.Errors.Take(10)));
        Assert.True(readers.Reads > 100, $"only {readers.Reads} reads in {outage.TotalSeconds} s");
        foreach (var silo in silos)
        {
            var view = await silo.MembersAsync();
            Assert.Equal(3, view.Members.Count(m => m.Status == "Active"));
        }

        // Back with its data: nobody was declared dead, and the cluster stays whole.
        await redis.RestartAsync();
        await Task.Delay(TimeSpan.FromSeconds(5));
        foreach (var silo in silos)
        {
            await WaitForActiveAsync(silo, 3);
            Assert.Equal(3, (await silo.MembersAsync()).Members.Count(m => m.Status == "Active"));
        }

        var stats = await Task.WhenAll(silos.Select(s => s.StatsAsync()));
        output.WriteLine($"Redis down {outage.TotalSeconds:0} s: {readers.Reads} reads, {readers.BytesVerified} bytes verified, 0 errors; peer copies {stats.Sum(s => s.PeerFetches)}, owner fallbacks {stats.Sum(s => s.OwnerFallbacks)}");
        Assert.True(stats.Sum(s => s.PeerFetches) > 0, "no chunk travelled between silos during the outage");
        var after = new MountReaders();
        await after.RunAsync(mounts, files, 3, DateTime.UtcNow.AddSeconds(2));
        Assert.True(after.Errors.Count == 0, string.Join('\n', after.Errors.Take(10)));
    }

    [Fact]
    public async Task Range_files_truncated_on_their_owners_disk_are_detected_read_again_and_counted()
    {
        using var redis = await RedisServer.StartAsync();
        var (catalog, files) = await SeedAndImportAsync("rng", "ranges", 400, 1, 2_000, i => $"dir-{i % 7}/f-{i:D3}.txt");
        var cluster = "g" + Guid.NewGuid().ToString("N")[..8];
        string[] names = ["node-a", "node-b"];
        var silos = await StartClusterAsync(catalog, redis.Configuration, cluster, names);
        var mounts = await MountOnEachAsync("ranges", names.Take(1).ToList());
        var listed = Directory.EnumerateFiles(mounts[0], "*", SearchOption.AllDirectories).Count();
        Assert.Equal(files.Count, listed);
        var rangeDirectories = names.Select(n => Path.Combine(Temp.Path, "cache-" + n, "ranges")).ToList();
        await WaitForAsync(() => rangeDirectories.Sum(d => Directory.EnumerateFiles(d, "*.sst").Count()) >= 2, "the owners to keep the metarange and range files");
        await UnmountAsync(mounts[0]);

        // node-b restarts with an empty metadata store, after every range file its owner kept was cut in half.
        await silos[1].StopAsync();
        Directory.Delete(Path.Combine(Temp.Path, "cache-node-b", "metadata"), recursive: true);
        var truncated = 0;
        foreach (var sst in rangeDirectories.SelectMany(d => Directory.EnumerateFiles(d, "*.sst")))
        {
            using var file = new FileStream(sst, FileMode.Open);
            file.SetLength(file.Length / 2);
            truncated++;
        }

        var b = await StartSiloAsync(catalog, Path.Combine(Temp.Path, "cache-node-b"), SocketOf("node-b"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", "node-b"]);
        await WaitForActiveAsync(b, 2);
        await WaitForActiveAsync(silos[0], 2);
        var mnt = Temp.Sub("mnt-node-b");
        await MountAsync("ranges", mnt, SocketOf("node-b"), Path.Combine(Temp.Path, "node-b-mount2.log"));
        var again = Directory.EnumerateFiles(mnt, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(mnt, f)).Order(StringComparer.Ordinal);
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), again);
        foreach (var key in files.Keys.Take(20))
        {
            Assert.Equal(files[key], await File.ReadAllBytesAsync(Path.Combine(mnt, key)));
        }

        var stats = new[] { await silos[0].StatsAsync(), await b.StatsAsync() };
        var detected = stats.Sum(s => s.RangeCorruptionsDetected);
        output.WriteLine($"{truncated} range files truncated, {detected} detected and read again; listing of {files.Count} files right");
        Assert.Equal(truncated, detected);
        Assert.Contains("is damaged", silos[0].Log + b.Log, StringComparison.Ordinal);
    }
}
