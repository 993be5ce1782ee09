using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OrleansMount.Core.Placement;
using OrleansMount.Grains.Chunks;
using OrleansMount.Grains.Protocol;
using OrleansMount.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansMount.Tests.Cluster;

/// <summary>
/// How silos reach owners, with real silo processes, redis-server and s3rver: range files read from the catalog
/// once for the cluster, owners whose data endpoint fails or stays silent, and a graceful shutdown under load.
/// </summary>
[Collection(S3rverCollection.Name)]
[KernelTest]
public sealed class ClusterRoutingTests(S3rverServer s3, RedisServer redis, ITestOutputHelper output) : NodeProcessTests(s3, "om-route-"), IClassFixture<RedisServer>
{
    private const long SiloCapacity = 2L << 30; // SiloProcess's default --cache-size

    private string NewCluster() => "r" + Guid.NewGuid().ToString("N")[..8];

    private string[] ClusterArgs(string cluster, string name, params string[] extra) => ["--redis", redis.Configuration, "--cluster", cluster, "--silo-id", name, .. extra];

    private static async Task<(string Id, int Ranges)> SnapshotAsync(SiloProcess silo, string name)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        var record = JsonDocument.Parse(await http.GetStringAsync($"api/v1/snapshots/{name}")).RootElement;
        return (record.GetProperty("id").GetString()!, record.GetProperty("ranges").GetInt32());
    }

    private static async Task<DirectoryListing> ListAsync(SiloProcess silo, string name, string id)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{silo.Port}/") };
        return (await http.GetFromJsonAsync<DirectoryListing>($"api/v1/snapshots/{name}/list?id={id}&path="))!;
    }

    [Fact]
    public async Task Three_mounts_walking_the_tree_read_each_range_file_from_the_catalog_once_for_the_cluster()
    {
        var (catalog, files) = await SeedAndImportAsync("rng", "meta", 6000, 1, 64, i => $"d{i / 300:D2}/f{i:D5}.txt");
        var cluster = NewCluster();
        string[] names = ["node-a", "node-b", "node-c"];
        foreach (var name in names)
        {
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Path.Combine(Temp.Path, name + ".sock"), ClusterArgs(cluster, name));
        }

        foreach (var silo in Silos)
        {
            await WaitForActiveAsync(silo, 3);
        }

        var mounts = new List<string>();
        foreach (var name in names)
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync("meta", mnt, Path.Combine(Temp.Path, name + ".sock"), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        // find + stat on all three at once: the range files each silo needs meet on their owners.
        var walked = await Task.WhenAll(mounts.Select(mnt => Task.Run(() =>
            new DirectoryInfo(mnt).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length))));
        Assert.All(walked, total => Assert.Equal(files.Values.Sum(f => (long)f.Length), total));

        var (_, ranges) = await SnapshotAsync(Silos[0], "meta");
        Assert.True(ranges >= 2, $"the snapshot has {ranges} ranges; the test needs several");
        var stats = await Task.WhenAll(Silos.Select(s => s.StatsAsync()));
        foreach (var s in stats)
        {
            output.WriteLine($"{s.SiloId}: {s.RangesFetched} range files ingested, {s.RangesFromCatalog} from the catalog, {s.RangesFromPeers} from peers ({s.RangeBytesFromPeers} B), {s.OwnerFallbacks} fallbacks");
        }

        var catalogFiles = ranges + 1; // the ranges and the metarange
        Assert.All(stats, s => Assert.Equal(catalogFiles, s.RangesFetched));
        Assert.Equal(catalogFiles, stats.Sum(s => s.RangesFromCatalog));
        Assert.Equal(2 * catalogFiles, stats.Sum(s => s.RangesFromPeers));
        Assert.All(stats, s => Assert.Equal(0, s.OwnerFallbacks));
    }

    [Fact]
    public async Task A_silent_data_endpoint_costs_a_timeout_and_a_fallback_never_a_failed_read()
    {
        var (catalog, files) = await SeedAndImportAsync("sil", "fb", 16, 100_000, 2 * MiB, i => $"f{i:D2}.bin");
        var cluster = NewCluster();
        var reader = await StartSiloAsync(catalog, Temp.Sub("cache-x"), Path.Combine(Temp.Path, "x.sock"), ClusterArgs(cluster, "node-x", "--peer-timeout", "1s"));
        await WaitForActiveAsync(reader, 1);
        // node-x holds the snapshot's metadata before node-y joins, so only chunks are routed below.
        var (id, _) = await SnapshotAsync(reader, "fb");
        var listing = await ListAsync(reader, "fb", id);

        // node-y advertises a listener that accepts connections and never answers: an active member
        // (it heartbeats) whose peer endpoint is silent.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await silent.AcceptSocketAsync();
                    lock (accepted)
                    {
                        accepted.Add(socket);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // stopped
            }
        });
        var silentAddress = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        await StartSiloAsync(catalog, Temp.Sub("cache-y"), Path.Combine(Temp.Path, "y.sock"), ClusterArgs(cluster, "node-y", "--advertise", silentAddress));
        await WaitForActiveAsync(reader, 2);

        var placement = new PlacementView([new("node-x", SiloCapacity), new("node-y", SiloCapacity)]);
        var ownedByY = 0;
        // Counted from here: opening the snapshot above may itself have cost a fallback (its grain answering after
        // the 1 s peer timeout on a loaded machine), which is not what this test is about.
        var fallbacksBefore = (await reader.StatsAsync()).OwnerFallbacks;
        foreach (var item in listing.Items)
        {
            var request = new ChunkRequest(item.Address!, item.ETag!, item.Size, 0, 4 * MiB, "fb", id);
            ownedByY += placement.OwnerOf(PlacementKey.Of(request.Id)) == "node-y" ? 1 : 0;
            using var response = await reader.PostJsonAsync("api/v1/chunks/data", request);
            Assert.True(response.IsSuccessStatusCode, $"{item.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(files[item.Name].AsSpan().SequenceEqual(body), $"content of {item.Name}");
        }

        var stats = await reader.StatsAsync();
        int connections;
        lock (accepted)
        {
            connections = accepted.Count;
        }

        var fallbacks = stats.OwnerFallbacks - fallbacksBefore;
        output.WriteLine($"node-x: {stats.ObjectStoreGets} GETs, {fallbacks} fallbacks ({ownedByY} chunks owned by node-y; {fallbacksBefore} before the reads); node-y's silent listener accepted {connections} connections");
        Assert.True(ownedByY >= 3, $"only {ownedByY} of the chunks are node-y's; the test needs several");
        // node-y's grains filled its chunks (its Orleans endpoint answers); the copies from its silent data endpoint
        // timed out, and node-x read those chunks from the object store itself.
        Assert.Equal(files.Values.Sum(f => (long)f.Length), stats.ObjectStoreBytes);
        Assert.Equal(0, stats.PeerFetches);
        Assert.True(ownedByY == fallbacks, $"{fallbacks} fallbacks for {ownedByY} chunks owned by node-y; node-x's warnings:\n{string.Join('\n', reader.Log.Split('\n').Where(l => l.Contains("WRN", StringComparison.Ordinal)))}");
        Assert.InRange(connections, 1, ownedByY);
        await WaitForAsync(() => reader.Log.Contains("reading it from the object store", StringComparison.Ordinal), "the fallback log line");
        var report = await reader.GetJsonAsync<NodeReport>("api/v1/node");
        Assert.Contains(report.RecentErrors, e => e.Kind == "fallback" && e.Source == "SiloNode" && e.Message.Contains("reading it from the object store", StringComparison.Ordinal));
        silent.Stop();
        await acceptLoop;
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task An_owner_that_answers_errors_costs_a_fallback_never_a_failed_read()
    {
        var (catalog, files) = await SeedAndImportAsync("err", "er", 12, 10_000, 300_000, i => $"f{i:D2}.bin");
        var cluster = NewCluster();
        var reader = await StartSiloAsync(catalog, Temp.Sub("cache-x"), Path.Combine(Temp.Path, "x.sock"), ClusterArgs(cluster, "node-x"));
        await WaitForActiveAsync(reader, 1);
        var (id, _) = await SnapshotAsync(reader, "er");
        var listing = await ListAsync(reader, "er", id);
        // node-y's catalog is another bucket's: every snapshot request it gets fails (404), so it
        // answers each chunk call with an error rather than bytes.
        var (otherCatalog, _) = await SeedAndImportAsync("erx", "other", 1, 10, 10, i => "x.bin");
        await StartSiloAsync(otherCatalog, Temp.Sub("cache-y"), Path.Combine(Temp.Path, "y.sock"), ClusterArgs(cluster, "node-y"));
        await WaitForActiveAsync(reader, 2);

        var placement = new PlacementView([new("node-x", SiloCapacity), new("node-y", SiloCapacity)]);
        var ownedByY = 0;
        foreach (var item in listing.Items)
        {
            var request = new ChunkRequest(item.Address!, item.ETag!, item.Size, 0, 4 * MiB, "er", id);
            ownedByY += placement.OwnerOf(PlacementKey.Of(request.Id)) == "node-y" ? 1 : 0;
            using var response = await reader.PostJsonAsync("api/v1/chunks/data", request);
            Assert.True(response.IsSuccessStatusCode, $"{item.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(files[item.Name].AsSpan().SequenceEqual(body), $"content of {item.Name}");
        }

        var stats = await reader.StatsAsync();
        output.WriteLine($"node-x: {stats.OwnerFallbacks} fallbacks, {ownedByY} chunks owned by node-y");
        Assert.True(ownedByY >= 2);
        Assert.Equal(ownedByY, stats.OwnerFallbacks);
        await WaitForAsync(() => reader.Log.Contains("reading it from the object store", StringComparison.Ordinal), "the fallback log line");
    }

    [Fact]
    public async Task After_a_join_the_new_silo_takes_over_the_activations_of_the_keys_it_owns_and_no_key_moves_between_the_others()
    {
        var (catalog, files) = await SeedAndImportAsync("rhm", "rh", 120, 1000, 20_000, i => $"f{i:D3}.bin");
        var cluster = NewCluster();
        var a = await StartSiloAsync(catalog, Temp.Sub("cache-a"), Path.Combine(Temp.Path, "a.sock"), ClusterArgs(cluster, "node-a"));
        var b = await StartSiloAsync(catalog, Temp.Sub("cache-b"), Path.Combine(Temp.Path, "b.sock"), ClusterArgs(cluster, "node-b"));
        await WaitForActiveAsync(a, 2);
        await WaitForActiveAsync(b, 2);
        var (id, _) = await SnapshotAsync(a, "rh");
        var listing = await ListAsync(a, "rh", id);
        var requests = listing.Items.Select(item => new ChunkRequest(item.Address!, item.ETag!, item.Size, 0, 4 * MiB, "rh", id)).ToList();
        async Task ReadAllAsync(SiloProcess through)
        {
            foreach (var request in requests)
            {
                using var response = await through.PostJsonAsync("api/v1/chunks/data", request);
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                Assert.Equal(files[Path.GetFileName(request.Address)], await response.Content.ReadAsByteArrayAsync());
            }
        }

        async Task<long> ChunkActivations(SiloProcess silo) =>
            (await silo.GetJsonAsync<NodeReport>("api/v1/node")).Activations.Single(g => g.GrainType == "ChunkGrain").Active;
        var twoSilos = new PlacementView([new("node-a", SiloCapacity), new("node-b", SiloCapacity)]);
        var ownedByABefore = requests.Count(r => twoSilos.OwnerOf(PlacementKey.Of(r.Id)) == "node-a");

        // Reads through node-a ask no grain for node-a's own keys (decision 0034); node-b's keys are asked of their
        // grains, on node-b. Reads through node-b then activate node-a's keys' grains on node-a.
        await ReadAllAsync(a);
        Assert.Equal((0, requests.Count - ownedByABefore), (await ChunkActivations(a), await ChunkActivations(b)));
        await ReadAllAsync(b);
        Assert.Equal((ownedByABefore, requests.Count - ownedByABefore), (await ChunkActivations(a), await ChunkActivations(b)));

        // node-c joins: the activations of the keys it now owns move to it (Orleans placed them only at activation).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var c = await StartSiloAsync(catalog, Temp.Sub("cache-c"), Path.Combine(Temp.Path, "c.sock"), ClusterArgs(cluster, "node-c"));
        await WaitForActiveAsync(a, 3);
        var placement = new PlacementView([new("node-a", SiloCapacity), new("node-b", SiloCapacity), new("node-c", SiloCapacity)]);
        var ownedByC = requests.Count(r => placement.OwnerOf(PlacementKey.Of(r.Id)) == "node-c");
        Assert.True(ownedByC >= 10, $"only {ownedByC} keys are node-c's");
        var ownedByA = requests.Count(r => placement.OwnerOf(PlacementKey.Of(r.Id)) == "node-a");
        var ownedByB = requests.Count(r => placement.OwnerOf(PlacementKey.Of(r.Id)) == "node-b");
        for (var deadline = DateTime.UtcNow.AddSeconds(30); await ChunkActivations(a) != ownedByA || await ChunkActivations(b) != ownedByB; await Task.Delay(200))
        {
            Assert.True(DateTime.UtcNow < deadline, $"30 s after node-c started, node-a holds {await ChunkActivations(a)} activations (owns {ownedByA}) and node-b {await ChunkActivations(b)} (owns {ownedByB}):\n{a.Log}");
        }

        output.WriteLine($"node-c owns {ownedByC} of {requests.Count} keys; they left node-a and node-b {clock.Elapsed.TotalSeconds:0.0} s after node-c's start ({await ChunkActivations(c)} live on node-c)");
        Assert.InRange(await ChunkActivations(c), 0, ownedByC);

        // Read everything through node-c (which holds no bytes yet): it fills the keys it owns itself, without a grain
        // call (decision 0034), and copies every other key from the owner the key's grain names (node-a or node-b,
        // which hold them); every byte is right and no owner was read around.
        await WaitForActiveAsync(c, 3); // node-c's own view decides which keys it fills itself
        var cBefore = await c.StatsAsync();
        await ReadAllAsync(c);
        var cAfter = await c.StatsAsync();
        Assert.Equal(
            (ownedByC, requests.Count - ownedByC, 0L),
            (cAfter.ObjectStoreGets - cBefore.ObjectStoreGets, cAfter.PeerFetches - cBefore.PeerFetches, cAfter.OwnerFallbacks - cBefore.OwnerFallbacks));
        Assert.InRange(await ChunkActivations(c), 0, ownedByC);
        Assert.Equal(ownedByA, await ChunkActivations(a));
        Assert.Equal(ownedByB, await ChunkActivations(b));
    }

    [Fact]
    public async Task A_graceful_shutdown_during_reads_hands_its_keys_over_without_a_failed_read()
    {
        var (catalog, files) = await SeedAndImportAsync("hnd", "hand", 60, 200_000, MiB, i => $"f{i:D2}.bin");
        var cluster = NewCluster();
        string[] names = ["node-a", "node-b", "node-c"];
        foreach (var name in names)
        {
            await StartSiloAsync(catalog, Temp.Sub("cache-" + name), Path.Combine(Temp.Path, name + ".sock"), ClusterArgs(cluster, name));
        }

        foreach (var silo in Silos)
        {
            await WaitForActiveAsync(silo, 3);
        }

        var mounts = new List<string>();
        foreach (var name in names.Take(2))
        {
            var mnt = Temp.Sub("mnt-" + name);
            await MountAsync("hand", mnt, Path.Combine(Temp.Path, name + ".sock"), Path.Combine(Temp.Path, name + "-mount.log"));
            mounts.Add(mnt);
        }

        // Two mounts read everything (in opposite orders, paced so the reads span the shutdown) while
        // node-c, owner of about a third of the chunks, is stopped with SIGTERM.
        var read = 0;
        var readAfterStop = 0;
        var stopped = false;
        var slowestTicks = 0L;
        var keys = files.Keys.Order(StringComparer.Ordinal).ToList();
        var readers = mounts.Select((mnt, m) => Task.Run(async () =>
        {
            foreach (var key in m == 0 ? keys : Enumerable.Reverse(keys))
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var bytes = await File.ReadAllBytesAsync(Path.Combine(mnt, key));
                InterlockedMax(ref slowestTicks, clock.Elapsed.Ticks);
                Assert.True(files[key].AsSpan().SequenceEqual(bytes), $"content of {key} through {names[m]}");
                Interlocked.Increment(ref read);
                if (Volatile.Read(ref stopped))
                {
                    Interlocked.Increment(ref readAfterStop);
                }

                await Task.Delay(40);
            }
        })).ToList();
        await WaitForAsync(() => Volatile.Read(ref read) >= 20, "the first reads");
        var c = Silos[2];
        var cBefore = await c.StatsAsync();
        var stopClock = System.Diagnostics.Stopwatch.StartNew();
        await c.StopAsync();
        var stopTime = stopClock.Elapsed;
        Volatile.Write(ref stopped, true);
        await Task.WhenAll(readers); // no read failed and every byte was right

        var stats = await Task.WhenAll(Silos.Take(2).Select(s => s.StatsAsync()));
        foreach (var s in stats)
        {
            output.WriteLine($"{s.SiloId}: {s.PeerFetches} chunks from peers, {s.ObjectStoreGets} GETs, {s.OwnerFallbacks} fallbacks");
        }

        var slowest = TimeSpan.FromTicks(Interlocked.Read(ref slowestTicks));
        var handover = c.Log.Split('\n').FirstOrDefault(l => l.Contains("over to their next owners", StringComparison.Ordinal))?.Trim();
        output.WriteLine($"node-c served {cBefore.Chunks} chunks before its shutdown; {readAfterStop} of {2 * keys.Count} file reads came after it; SIGTERM to exit {stopTime.TotalSeconds:F2} s; slowest read {slowest.TotalSeconds:F2} s");
        output.WriteLine("node-c's cluster view and handover:");
        output.WriteLine(handover is null ? c.Log : string.Join('\n', c.Log.Split('\n').Where(l => l.Contains("Cluster", StringComparison.Ordinal) && !l.Contains("Polly", StringComparison.Ordinal))));
        Assert.True(readAfterStop > 0, "every read finished before node-c stopped: the test did not overlap the handover");
        Assert.True(cBefore.Chunks > 0, "node-c owned nothing that was read before it stopped");
        // node-c hands its activations over before its data endpoint closes (ClusterHandover): node-a and node-b stop
        // placing keys on it, its chunk and range grains migrate to their next owners, which fill from the object
        // store (fills, not fallbacks), and no call reaches node-c after it stopped serving.
        Assert.Equal(0, c.ExitCode); // a stop cut short (System.CommandLine's 2 s default ended it with 143) would hand nothing over
        Assert.Contains("activations over to their next owners", handover ?? "", StringComparison.Ordinal);
        Assert.Equal(0, stats.Sum(s => s.OwnerFallbacks));
        Assert.All(stats, s => Assert.Equal(0, s.FillErrors));
        // No call waited for a response timeout (--peer-timeout, 10 s): migrating onto a stopping silo would.
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"a read took {slowest.TotalSeconds:F1} s during the handover");
        Assert.Contains("left the cluster", c.Log, StringComparison.Ordinal);
        await WaitForActiveAsync(Silos[0], 2);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
