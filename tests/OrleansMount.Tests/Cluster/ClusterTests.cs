using System.Diagnostics;
using OrleansMount.Native.Fuse;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// Three real silos sharing one cache through a real redis-server (membership) and s3rver, each with
/// its own kernel mount of one snapshot. Every mount reads every byte; the object store is read
/// about once per chunk for the whole cluster, the rest travels between silos.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ClusterTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-cluster-"), IClassFixture<RedisServer>
{
    [Fact]
    public async Task ThreeSilos_share_one_cache_and_read_each_chunk_from_the_object_store_about_once()
    {
        var clock = Stopwatch.StartNew();
        var bucket = await S3.CreateUniqueBucketAsync("clu");
        var random = new Random(44);
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(MiB, (6 * MiB) + 1)];
            random.NextBytes(bytes);
            tree[$"shard-{i / 5}/part-{i:D2}.bin"] = bytes;
        }

        foreach (var (key, content) in tree)
        {
            S3.SeedObject(bucket, "ds/" + key, content);
        }

        // Every process reaches s3rver through a counting proxy: object-store traffic is measured at the store's side too.
        await using var proxy = await LatencyProxyProcess.StartAsync(S3.Endpoint);
        ObjectStoreEndpoint = proxy.Endpoint;
        var import = await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "shared"], Env);
        Assert.True(import.ExitCode == 0, import.ToString());
        var catalog = $"s3://{bucket}/.orleansmount/";
        var storeBefore = await proxy.StatsAsync();
        var cluster = "c" + Guid.NewGuid().ToString("N")[..8];
        string[] names = ["node-a", "node-b", "node-c"];
        foreach (var name in names)
        {
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Path.Combine(Temp.Path, name + ".sock"), ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name]);
        }

        // Every silo routes by the same view before anything is read.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        foreach (var silo in Silos)
        {
            while (true)
            {
                var members = await silo.MembersAsync();
                if (members.Members.Count(m => m.Status == "Active") == 3)
                {
                    Assert.Equal(cluster, members.Cluster);
                    Assert.Equal(names, members.Members.Select(m => m.SiloId).Order(StringComparer.Ordinal));
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, $"silo sees {members.Members.Count} members, not 3 active:\n{silo.Log}");
                await Task.Delay(100);
            }
        }

        output.WriteLine($"cluster up after {clock.Elapsed.TotalSeconds:0.0} s");
        var mounts = new List<string>();
        foreach (var name in names)
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync("shared", mnt, Path.Combine(Temp.Path, name + ".sock"), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        // The three mounts read everything at the same time (each one file after another), so
        // requests for one chunk meet on its owner.
        await Task.WhenAll(mounts.Select((mnt, m) => Task.Run(async () =>
        {
            var keys = tree.Keys.Order(StringComparer.Ordinal).ToList();
            foreach (var key in keys.Skip(m * 7).Concat(keys.Take(m * 7)))
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                Assert.True(tree[key].AsSpan().SequenceEqual(read), $"content of {key} via {names[m]} differs");
            }
        })));
        output.WriteLine($"read through 3 mounts after {clock.Elapsed.TotalSeconds:0.0} s");

        var stats = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        var dataset = tree.Values.Sum(v => (long)v.Length);
        var fromStore = stats.Sum(s => s.ObjectStoreBytes);
        foreach (var s in stats)
        {
            output.WriteLine($"{s.SiloId}: object store {s.ObjectStoreGets} GETs {s.ObjectStoreBytes} B, peer {s.PeerFetches} fetches {s.PeerBytes} B, {s.LocalHits} local hits, {s.OwnerFallbacks} fallbacks, {s.Chunks} chunks");
        }

        var storeAfter = await proxy.StatsAsync();
        var servedByStore = storeAfter.GetBytes - storeBefore.GetBytes; // chunks, plus the catalog's few KB of range files and records
        output.WriteLine($"object store (proxy): {storeAfter.GetRequests - storeBefore.GetRequests} GETs, {servedByStore} B; silos counted {fromStore} B; dataset {dataset} B");
        Assert.InRange(fromStore, (long)(dataset * 0.95), (long)(dataset * 1.05));
        Assert.InRange(servedByStore, fromStore, (long)(dataset * 1.05));
        Assert.True(stats.Sum(s => s.PeerBytes) > 0, "no chunk travelled between silos");
        Assert.All(stats, s => Assert.Equal(0, s.OwnerFallbacks));
        Assert.All(stats, s => Assert.Equal(0, s.FillErrors));

        // `orleansmount status` lists the members.
        var status = await ProcessRunner.RunAsync(RepoPaths.Cli, ["status", "--silo", Path.Combine(Temp.Path, "node-a.sock")], Env);
        Assert.True(status.ExitCode == 0, status.ToString());
        foreach (var name in names)
        {
            Assert.Contains(name, status.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("members", status.StandardOutput, StringComparison.Ordinal);
        foreach (var mnt in mounts)
        {
            var result = await ProcessRunner.RunAsync(RepoPaths.Cli, ["umount", mnt]);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        // A silo stopped gracefully leaves: the others see two active members (Orleans keeps the one that left, as Dead).
        await Silos[2].StopAsync();
        deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await Silos[0].MembersAsync()).Members is var left && (left.Count(m => m.Status == "Active") != 2 || left.Any(m => m.SiloId == "node-c" && m.Status != "Dead")))
        {
            Assert.True(DateTime.UtcNow < deadline, "node-c did not leave the cluster on SIGTERM:\n" + Silos[2].Log);
            await Task.Delay(100);
        }

        output.WriteLine($"done after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_silo_killed_during_reads_costs_no_read_and_rejoins_with_its_cache()
    {
        var bucket = await S3.CreateUniqueBucketAsync("kil");
        var random = new Random(9);
        var tree = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < 24; i++)
        {
            var bytes = new byte[random.Next(MiB / 2, (3 * MiB) + 1)];
            random.NextBytes(bytes);
            tree[$"part-{i:D2}.bin"] = bytes;
            S3.SeedObject(bucket, "ds/" + $"part-{i:D2}.bin", bytes);
        }

        Assert.Equal(0, (await ProcessRunner.RunAsync(RepoPaths.Cli, ["import", $"s3://{bucket}/ds", "--snapshot", "k"], Env)).ExitCode);
        var catalog = $"s3://{bucket}/.orleansmount/";
        var cluster = "k" + Guid.NewGuid().ToString("N")[..8];
        string[] names = ["node-a", "node-b", "node-c"];
        string[] Args(string name) => ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name];
        foreach (var name in names)
        {
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Path.Combine(Temp.Path, name + ".sock"), Args(name));
        }

        await WaitForActiveAsync(Silos[0], 3);
        var mounts = new List<string>();
        foreach (var name in names)
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync("k", mnt, Path.Combine(Temp.Path, name + ".sock"), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        // node-c warms its share of the cache, then dies (kill -9) while node-a and node-b read everything.
        foreach (var key in tree.Keys.Take(8))
        {
            await File.ReadAllBytesAsync(Path.Combine(mounts[2], key));
        }

        var cached = (await Silos[2].StatsAsync()).Chunks;
        Assert.True(cached > 0);
        var readers = mounts.Take(2).Select(mnt => Task.Run(async () =>
        {
            foreach (var (key, content) in tree)
            {
                var read = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                Assert.True(content.AsSpan().SequenceEqual(read), $"content of {key} through {mnt}");
            }
        })).ToList();
        await Task.Delay(100);
        await Silos[2].KillAsync();
        await Task.WhenAll(readers); // no read failed and every byte was right
        await UnmountAsync(mounts[2]);

        // Not even a retried one: the survivors answered every read (a grain call that failed while node-c was
        // being declared dead became a read of the object store, never an error).
        foreach (var survivor in Silos.Take(2))
        {
            Assert.DoesNotContain("responded 500", survivor.Log, StringComparison.Ordinal);
            Assert.DoesNotContain("An unhandled exception", survivor.Log, StringComparison.Ordinal);
        }

        // Declared dead within the heartbeat timeout (10 s) plus a poll: its keys move to the two left.
        var deadline = DateTime.UtcNow.AddSeconds(25);
        while ((await Silos[0].MembersAsync()).Members.Any(m => m.SiloId == "node-c" && m.Status == "Active"))
        {
            Assert.True(DateTime.UtcNow < deadline, "node-c was not declared dead:\n" + Silos[0].Log);
            await Task.Delay(200);
        }

        // Restarted on the same cache, it rejoins and still holds what it had cached.
        var again = await StartSiloAsync(catalog, Path.Combine(Temp.Path, "cache-node-c"), Path.Combine(Temp.Path, "node-c.sock"), Args("node-c"));
        await WaitForActiveAsync(Silos[0], 3);
        var stats = await again.StatsAsync();
        Assert.True(stats.Chunks >= cached, $"{stats.Chunks} chunks after restart, {cached} before the kill");
        Assert.Equal(0, stats.ObjectStoreGets);
    }
}
